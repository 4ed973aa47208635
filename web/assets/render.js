// Rendering of what the roles wrote: Markdown (npm marked when served, else a small
// fallback), code highlighting (hand-written, a few languages), the structured documents
// (PRD, design, task list) and their mermaid diagrams (npm mermaid, loaded on demand).
// Raw HTML in model output is always shown as text.
'use strict';
(function () {
  const { el, esc } = AC;

  const KEYWORDS = {
    python: 'and as assert async await break class continue def del elif else except False finally for from global if import in is lambda None nonlocal not or pass raise return self True try while with yield print',
    js: 'async await break case catch class const continue default delete do else export extends false finally for function if import in instanceof let new null of return static super switch this throw true try typeof undefined var void while yield require module',
    c: 'auto bool break case catch char class const constexpr continue default delete do double else enum explicit extern false float for friend if include inline int long namespace new nullptr operator private protected public return short signed sizeof static struct switch template this throw true try typedef typename union unsigned using virtual void volatile while std string vector',
    go: 'break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var nil true false',
    rust: 'as break const continue crate else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while',
    sh: 'if then else elif fi for while do done case esac function in echo export local return set',
    json: 'true false null',
  };
  const ALIASES = { py: 'python', python3: 'python', javascript: 'js', ts: 'js', typescript: 'js', jsx: 'js', node: 'js', cpp: 'c', 'c++': 'c', cc: 'c', h: 'c', hpp: 'c', java: 'c', cs: 'c', csharp: 'c', rs: 'rust', bash: 'sh', shell: 'sh', zsh: 'sh', golang: 'go' };

  AC.langOf = function (path) {
    const ext = (path.split('.').pop() || '').toLowerCase();
    return ALIASES[ext] || (KEYWORDS[ext] ? ext : ext === 'md' ? 'markdown' : ext);
  };

  // One pass over the text: comments, strings, numbers, keywords; everything else escaped.
  AC.highlight = function (code, lang) {
    lang = ALIASES[lang] || lang;
    const words = KEYWORDS[lang];
    if (!words) return esc(code);
    const kw = new Set(words.split(' '));
    const hash = lang === 'python' || lang === 'sh';
    const slash = !hash && lang !== 'json';
    const parts = [];
    if (slash) parts.push('\\/\\/[^\\n]*', '\\/\\*[\\s\\S]*?\\*\\/');
    if (hash) parts.push('#[^\\n]*');
    if (lang === 'python') parts.push('"""[\\s\\S]*?"""', "'''[\\s\\S]*?'''");
    parts.push('"(?:\\\\.|[^"\\\\\\n])*"', "'(?:\\\\.|[^'\\\\\\n])*'");
    if (lang === 'js' || lang === 'go') parts.push('`(?:\\\\.|[^`\\\\])*`');
    parts.push('\\b\\d+(?:\\.\\d+)?\\b', '[A-Za-z_][A-Za-z0-9_]*');
    const re = new RegExp(parts.join('|'), 'g');
    let out = '', last = 0, m;
    while ((m = re.exec(code))) {
      out += esc(code.slice(last, m.index));
      const t = m[0];
      let cls = null;
      if (t.startsWith('//') || t.startsWith('/*') || (hash && t.startsWith('#'))) cls = 'c';
      else if (/^["'`]/.test(t)) cls = 's';
      else if (/^\d/.test(t)) cls = 'n';
      else if (kw.has(t)) cls = 'k';
      else if (code[re.lastIndex] === '(') cls = 'f';
      out += cls ? `<span class="hl-${cls}">${esc(t)}</span>` : esc(t);
      last = re.lastIndex;
    }
    return out + esc(code.slice(last));
  };

  const MERMAID_START = /^\s*(graph|flowchart|sequenceDiagram|classDiagram|stateDiagram(-v2)?|erDiagram|gantt|pie|quadrantChart|mindmap|journey|gitGraph|timeline)\b/;
  AC.isMermaid = (text) => typeof text === 'string' && MERMAID_START.test(text);

  function codeBlock(code, lang) {
    if (lang === 'mermaid' || (!lang && AC.isMermaid(code))) return mermaidBlock(code);
    return `<pre class="code"><code>${AC.highlight(code, (lang || '').toLowerCase())}</code></pre>`;
  }

  function mermaidBlock(code) {
    return `<div class="mermaid-src" data-src="${esc(code)}"><pre class="code"><code>${esc(code)}</code></pre></div>`;
  }

  // Tiny Markdown for when marked is not served: fences, headings, lists, paragraphs,
  // inline code, bold, italics.
  function fallbackMarkdown(text) {
    const blocks = [];
    const inline = (s) =>
      esc(s)
        .replace(/`([^`]+)`/g, '<code>$1</code>')
        .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
        .replace(/(^|\W)\*([^*]+)\*(?=\W|$)/g, '$1<em>$2</em>');
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const fence = line.match(/^```\s*([\w+-]*)/);
      if (fence) {
        const body = [];
        for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
        blocks.push(codeBlock(body.join('\n'), fence[1]));
      } else if (/^#{1,6}\s/.test(line)) {
        const level = line.match(/^#+/)[0].length;
        blocks.push(`<h${level}>${inline(line.replace(/^#+\s*/, ''))}</h${level}>`);
      } else if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
        const items = [];
        for (; i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i]); i++) items.push(`<li>${inline(lines[i].replace(/^\s*([-*]|\d+\.)\s+/, ''))}</li>`);
        i--;
        blocks.push(`<ul>${items.join('')}</ul>`);
      } else if (line.trim()) {
        const para = [line];
        for (i++; i < lines.length && lines[i].trim() && !/^(#|```|\s*[-*]\s)/.test(lines[i]); i++) para.push(lines[i]);
        i--;
        blocks.push(`<p>${inline(para.join(' '))}</p>`);
      }
    }
    return blocks.join('\n');
  }

  let markedReady = false;
  function setupMarked() {
    if (markedReady || !window.marked) return !!window.marked;
    window.marked.use({
      gfm: true,
      breaks: false,
      renderer: {
        html(token) { return esc(typeof token === 'string' ? token : token.text || token.raw || ''); },
        code(token, maybeLang) {
          const text = typeof token === 'string' ? token : token.text;
          const lang = typeof token === 'string' ? maybeLang : token.lang;
          return codeBlock(text || '', ((lang || '').match(/\S*/) || [''])[0]);
        },
        link(token) {
          const href = token.href || '';
          const label = esc(token.text || href);
          return /^https?:/.test(href) ? `<a href="${esc(href)}" target="_blank" rel="noreferrer noopener">${label}</a>` : label;
        },
        image(token) { return esc(token.text || ''); },
      },
    });
    markedReady = true;
    return true;
  }

  AC.markdown = function (text) {
    text = String(text ?? '');
    const html = setupMarked() ? window.marked.parse(text) : fallbackMarkdown(text);
    return el('div', { class: 'md', html });
  };

  // ---- mermaid, loaded only when a diagram is on screen ----
  let mermaidPromise = null;
  function loadMermaid() {
    if (!AC.info || !AC.info.mermaid) return Promise.resolve(null);
    if (!mermaidPromise) {
      mermaidPromise = new Promise((resolve) => {
        const script = el('script', { src: '/vendor/mermaid.js' });
        script.onload = () => {
          window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', fontFamily: 'inherit' });
          resolve(window.mermaid);
        };
        script.onerror = () => resolve(null);
        document.head.appendChild(script);
      });
    }
    return mermaidPromise;
  }

  // Diagrams are drawn when they scroll into view: a long run has hundreds.
  let diagramCount = 0;
  const observer = 'IntersectionObserver' in window ? new IntersectionObserver((entries) => {
    for (const e of entries) if (e.isIntersecting) { observer.unobserve(e.target); drawDiagrams([e.target]); }
  }, { rootMargin: '400px' }) : null;
  AC.renderMermaidIn = function (root) {
    const pending = [...root.querySelectorAll('.mermaid-src:not(.done):not(.watched)')];
    if (!observer) return drawDiagrams(pending);
    for (const box of pending) { box.classList.add('watched'); observer.observe(box); }
  };
  async function drawDiagrams(pending) {
    if (!pending.length) return;
    const mermaid = await loadMermaid();
    for (const box of pending) {
      if (box.classList.contains('done')) continue;
      box.classList.add('done');
      if (!mermaid) {
        box.appendChild(el('div', { class: 'note' }, 'mermaid is not installed (scripts/setup.sh installs it): the diagram is shown as source.'));
        continue;
      }
      try {
        const { svg } = await mermaid.render(`mmd-${++diagramCount}`, box.dataset.src);
        box.innerHTML = '';
        box.appendChild(el('div', { class: 'diagram', html: svg }));
        box.appendChild(el('details', { class: 'diagram-src' }, el('summary', {}, 'source'), el('pre', { class: 'code' }, box.dataset.src)));
      } catch (e) {
        box.appendChild(el('div', { class: 'note warn' }, `mermaid could not render this diagram: ${String(e.message || e).split('\n')[0]}`));
        document.querySelectorAll(`#dmmd-${diagramCount}`).forEach((n) => n.remove());
      }
    }
  }

  // ---- structured documents ----
  const DOC_TITLES = { prd: 'Product requirement document', system_design: 'System design', tasks: 'Task list', code_summary: 'Code summary' };
  AC.docTitle = (name) => DOC_TITLES[name] || name.replace(/_/g, ' ');

  function fieldValue(key, value) {
    if (typeof value === 'string') {
      if (AC.isMermaid(value)) return el('div', { html: mermaidBlock(value) });
      return AC.markdown(value);
    }
    if (Array.isArray(value)) {
      if (!value.length) return el('p', { class: 'muted' }, 'none');
      if (value.every((v) => Array.isArray(v))) {
        return el('table', { class: 'doc-table' }, value.map((row) => el('tr', {}, row.map((c, i) => el(i === 0 ? 'th' : 'td', {}, typeof c === 'string' ? c : JSON.stringify(c))))));
      }
      return el('ul', {}, value.map((v) => el('li', {}, typeof v === 'string' ? AC.markdown(v).firstChild || v : JSON.stringify(v))));
    }
    if (value && typeof value === 'object') return el('pre', { class: 'code' }, JSON.stringify(value, null, 2));
    return el('p', {}, String(value ?? ''));
  }

  // A document payload ({document, value}) as a titled, sectioned card.
  AC.renderDocument = function (name, value) {
    const body = el('div', { class: 'doc-body' });
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, v] of Object.entries(value)) {
        if (v === '' || (Array.isArray(v) && !v.length)) continue;
        body.appendChild(el('section', {}, el('h4', {}, key), fieldValue(key, v)));
      }
    } else {
      body.appendChild(fieldValue(name, value));
    }
    return el('details', { class: 'doc', open: true }, el('summary', {}, el('span', { class: 'doc-kind' }, 'document'), AC.docTitle(name)), body);
  };
})();
