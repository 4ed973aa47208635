// mermaid-cli drives Debian's chromium (/usr/bin/chromium, given by agentco at run time):
// puppeteer must never download a browser of its own when `npm ci` installs it.
module.exports = { skipDownload: true };
