// The viewer: a runs page and a run page (timeline, messages, files, figures, events) with
// replay controls, kept live over a WebSocket while the run is running. Routes live in
// the hash: #/ and #/run/ID/TAB.
'use strict';
(function () {
  const { el } = AC;
  const main = () => document.getElementById('main');
  let teardown = null; // stops the current page's timers and sockets

  // ---------------------------------------------------------------- runs page
  const COLUMNS = [
    { key: 'status', label: 'Status' },
    { key: 'idea', label: 'Run' },
    { key: 'sop', label: 'SOP' },
    { key: 'model', label: 'Model' },
    { key: 'started_ms', label: 'Started' },
    { key: 'duration_s', label: 'Duration', num: true },
    { key: 'cost_usd', label: 'Cost', num: true },
    { key: 'files', label: 'Files', num: true },
    { key: 'verdict', label: 'Verdict' },
  ];

  const ICONS = {
    start: 'M5 4h2.5v16H5zM20 4v16L9 12z', back: 'M17 5v14L7 12z', play: 'M7 4v16l13-8z', pause: 'M6 4h4.5v16H6zM13.5 4H18v16h-4.5z',
    step: 'M7 5v14l10-7z', end: 'M4 4v16l11-8zM16.5 4H19v16h-2.5z',
  };
  const icon = (name) => el('svg', { viewBox: '0 0 24 24', width: 14, height: 14, class: 'icon' }, el('path', { d: ICONS[name], fill: 'currentColor' }));

  function statusBadge(s) {
    const reason = s.status === 'stopped' && s.reason ? s.reason.replace(/_/g, ' ') : '';
    return el('span', { class: `badge ${s.status}`, title: s.detail || '' }, s.status === 'running' ? el('span', { class: 'pulse' }) : null, s.status, reason ? el('span', { class: 'reason' }, ` · ${reason}`) : null);
  }

  function verdictBadge(v) {
    const text = AC.verdictText(v);
    if (!text) return el('span', { class: 'muted' }, '—');
    return el('span', { class: `verdict ${v.decision === 'passed' ? 'good' : 'bad'}` }, text);
  }

  function showRuns() {
    let sort = JSON.parse(sessionStorage.getItem('runs-sort') || 'null') || { key: 'started_ms', dir: -1 };
    let known = null;
    const body = el('tbody');
    const head = el('tr');
    const summary = el('p', { class: 'muted' }, 'loading…');
    const empty = el('div', { class: 'empty', hidden: true }, el('h2', {}, 'No runs yet'),
      el('p', {}, 'Start one and it appears here without a reload:'), el('pre', { class: 'code' }, 'agentco run --llm mock "write a cli snake game"'));
    main().replaceChildren(el('section', { class: 'page' },
      el('div', { class: 'page-head' }, el('h1', {}, 'Runs'), summary),
      el('div', { class: 'card table-card' }, el('table', { class: 'runs', id: 'runs-table' }, el('thead', {}, head), body)), empty));
    document.getElementById('crumbs').replaceChildren();

    const value = (r, key) => (key === 'verdict' ? AC.verdictText(r.verdict) : key === 'idea' ? r.idea || r.id : r[key]);
    function drawHead() {
      head.replaceChildren(...COLUMNS.map((c) => el('th', {
        class: `${c.num ? 'num ' : ''}sortable${sort.key === c.key ? ' sorted' : ''}`,
        'aria-sort': sort.key === c.key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none',
        onclick: () => {
          sort = sort.key === c.key ? { key: c.key, dir: -sort.dir } : { key: c.key, dir: c.num || c.key === 'started_ms' ? -1 : 1 };
          sessionStorage.setItem('runs-sort', JSON.stringify(sort));
          drawHead();
          draw(lastRuns);
        },
      }, c.label, el('span', { class: 'arrow' }, sort.key === c.key ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''))));
    }
    let lastRuns = [];
    function draw(runs) {
      lastRuns = runs;
      const sorted = [...runs].sort((a, b) => {
        const x = value(a, sort.key), y = value(b, sort.key);
        if (x === y) return a.id < b.id ? -1 : 1;
        if (x === null || x === undefined || x === '') return 1;
        if (y === null || y === undefined || y === '') return -1;
        return (x < y ? -1 : 1) * sort.dir;
      });
      body.replaceChildren(...sorted.map((r) => {
        const fresh = known && !known.has(r.id);
        return el('tr', { class: `run-row${fresh ? ' fresh' : ''}`, 'data-run': r.id, onclick: () => (location.hash = `#/run/${encodeURIComponent(r.id)}`) },
          el('td', {}, statusBadge(r)),
          el('td', { class: 'run-cell' }, el('a', { href: `#/run/${encodeURIComponent(r.id)}`, class: 'idea', title: r.idea || r.id }, r.idea || r.id), el('div', { class: 'run-id' }, r.id)),
          el('td', {}, r.sop || '—'),
          el('td', { class: 'nowrap' }, r.model || '—'),
          el('td', { class: 'nowrap' }, AC.fmtDate(r.started_at)),
          el('td', { class: 'num nowrap' }, AC.fmtDuration(r.duration_s)),
          el('td', { class: 'num' }, AC.fmtCost(r.cost_usd)),
          el('td', { class: 'num' }, r.files ?? '—'),
          el('td', {}, verdictBadge(r.verdict)));
      }));
      known = new Set(runs.map((r) => r.id));
      const running = runs.filter((r) => r.status === 'running').length;
      summary.textContent = `${runs.length} run${runs.length === 1 ? '' : 's'}${running ? ` · ${running} running` : ''} · updates live`;
      empty.hidden = runs.length > 0;
    }
    drawHead();
    let stopped = false;
    async function poll() {
      try {
        draw(await AC.api('/api/runs'));
      } catch (e) {
        summary.textContent = `cannot reach the server (${e.message}); retrying…`;
      }
      if (!stopped) timer = setTimeout(poll, 2000);
    }
    let timer = null;
    poll();
    return () => { stopped = true; clearTimeout(timer); };
  }

  // ---------------------------------------------------------------- run page
  const kFeedWindow = 150; // messages drawn at once before "show earlier"
  const TABS = [['messages', 'Messages'], ['files', 'Files'], ['figures', 'Figures'], ['events', 'Events']];
  const SPEEDS = [0.5, 1, 2, 5, 10, 50, 200];

  function showRun(id, tab) {
    const run = {
      id, tab: tab || 'messages', scale: localStorage.getItem('timeline-scale') || 'time', records: [], seqIndex: new Map(), cursor: 0, follow: true,
      playing: false, speed: 5, vt: 0, summary: null, model: null, commits: null, ws: null, closed: false,
      rendered: { messages: -1, files: '', figures: 0, events: -1 }, selectedCommit: null, fileView: 'changes',
    };
    const els = {
      title: el('h1', { class: 'run-title' }, 'loading…'),
      facts: el('div', { class: 'facts' }),
      timeline: el('div', { class: 'timeline-host', id: 'timeline' }),
      legend: el('div', { class: 'legend' },
        el('span', {}, el('i', { class: 'sw action' }), 'action (working)'),
        el('span', {}, el('i', { class: 'sw call' }), 'model call (waiting on the model)'),
        el('span', {}, el('i', { class: 'sw idle' }), 'idle (waiting for messages)'),
        el('span', {}, el('i', { class: 'sw mark' }), 'file write · commit · message'),
        el('span', {}, el('i', { class: 'sw tool' }), 'tool call'),
        el('span', {}, el('i', { class: 'sw failed' }), 'failed')),
      pos: el('span', { class: 'pos', id: 'replay-pos' }, '0 / 0'),
      what: el('span', { class: 'what' }),
      slider: el('input', { type: 'range', min: 0, max: 0, value: 0, id: 'replay-slider', 'aria-label': 'jump to event' }),
      play: el('button', { class: 'btn primary', id: 'replay-play', title: 'play / pause (space)', 'data-state': 'paused' }, icon('play')),
      live: el('span', { class: 'live-badge', hidden: true, id: 'live-badge' }, el('span', { class: 'pulse' }), 'live'),
      tabs: el('nav', { class: 'tabs' }),
      pane: el('div', { class: 'pane', id: 'pane' }),
    };
    const speed = el('select', { id: 'replay-speed', title: 'replay speed' }, SPEEDS.map((s) => el('option', { value: s, selected: s === run.speed }, `${s}×`)));
    speed.addEventListener('change', () => (run.speed = Number(speed.value)));
    els.slider.addEventListener('input', () => jump(Number(els.slider.value), false));
    els.play.addEventListener('click', () => (run.playing ? pause() : play()));
    const button = (name, title, onclick, idName) => el('button', { class: 'btn', title, onclick, id: idName, 'aria-label': title }, icon(name));
    const bar = el('div', { class: 'replay card' },
      button('start', 'to the first event (Home)', () => jump(1, false), 'replay-start'),
      button('back', 'previous event (←)', () => jump(run.cursor - 1, false), 'replay-back'),
      els.play,
      button('step', 'next event (→)', () => jump(run.cursor + 1, false), 'replay-step'),
      button('end', 'to the last event, following a live run (End)', () => { jump(run.records.length, true); }, 'replay-end'),
      speed, els.slider, els.pos, els.live, els.what);
    const scaleButtons = el('div', { class: 'seg small', title: 'x axis: wall-clock time, or one step per event (bursts of fast events get room)' },
      ['time', 'events'].map((m) => el('button', { 'data-scale': m, class: run.scale === m ? 'on' : '', onclick: () => {
        run.scale = m;
        localStorage.setItem('timeline-scale', m);
        scaleButtons.querySelectorAll('button').forEach((b) => b.classList.toggle('on', b.dataset.scale === m));
        schedule();
      } }, m === 'time' ? 'by time' : 'by event')));
    const page = el('section', { class: 'page run-page', id: 'run-page' },
      el('div', { class: 'page-head' }, els.title, els.facts),
      bar,
      el('div', { class: 'card timeline-card' }, el('div', { class: 'card-head' }, el('h2', {}, 'Timeline'), els.legend, scaleButtons), els.timeline),
      els.tabs, els.pane);
    main().replaceChildren(page);
    document.getElementById('crumbs').replaceChildren(el('a', { href: '#/' }, 'Runs'), el('span', { class: 'sep' }, '/'), el('span', {}, id));

    function drawTabs() {
      els.tabs.replaceChildren(...TABS.map(([key, label]) => el('a', {
        href: `#/run/${encodeURIComponent(run.id)}/${key}`, class: `tab${run.tab === key ? ' active' : ''}`, 'data-tab': key,
      }, label)));
    }
    drawTabs();

    const keys = (e) => {
      if (e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT' || e.target.tagName === 'TEXTAREA') return;
      if (e.key === ' ') { e.preventDefault(); run.playing ? pause() : play(); }
      else if (e.key === 'ArrowRight') jump(run.cursor + 1, false);
      else if (e.key === 'ArrowLeft') jump(run.cursor - 1, false);
      else if (e.key === 'Home') jump(1, false);
      else if (e.key === 'End') jump(run.records.length, true);
    };
    document.addEventListener('keydown', keys);

    // ---- replay ----
    const timeOf = (i) => (run.records.length && i > 0 ? (AC.recMs(run.records[Math.min(i, run.records.length) - 1]) - AC.recMs(run.records[0])) / 1000 : 0);
    function jump(n, follow) {
      run.cursor = Math.max(Math.min(n, run.records.length), Math.min(1, run.records.length));
      run.follow = !!follow || false;
      if (!follow) pause();
      schedule();
    }
    function jumpToSeq(seq) {
      if (seq && typeof seq === 'object' && 'index' in seq) return jump(seq.index, false);
      if (seq && typeof seq === 'object' && 'time' in seq) {
        let i = 1;
        while (i < run.records.length && timeOf(i + 1) <= seq.time) i++;
        return jump(i, false);
      }
      const i = run.seqIndex.get(seq);
      if (i !== undefined) jump(i + 1, false);
    }
    run.jumpToSeq = jumpToSeq;
    let raf = null, lastFrame = 0;
    function play() {
      if (!run.records.length) return;
      if (run.cursor >= run.records.length) run.cursor = 1;
      run.playing = true;
      run.follow = false;
      run.vt = timeOf(run.cursor);
      lastFrame = performance.now();
      els.play.replaceChildren(icon('pause'));
      els.play.dataset.state = 'playing';
      raf = requestAnimationFrame(tick);
    }
    function pause() {
      run.playing = false;
      els.play.replaceChildren(icon('play'));
      els.play.dataset.state = 'paused';
      if (raf) cancelAnimationFrame(raf);
      raf = null;
    }
    function tick(now) {
      if (!run.playing) return;
      const dt = Math.min(0.25, (now - lastFrame) / 1000);
      lastFrame = now;
      run.vt += dt * run.speed;
      // Long idle stretches are skipped: at most 1.5 s of real time between events.
      const next = timeOf(run.cursor + 1);
      if (run.cursor < run.records.length && (next - run.vt) / run.speed > 1.5) run.vt = next - 0.2 * run.speed;
      let moved = false;
      while (run.cursor < run.records.length && timeOf(run.cursor + 1) <= run.vt) { run.cursor++; moved = true; }
      if (run.cursor >= run.records.length) {
        pause();
        run.follow = run.summary && run.summary.status === 'running';
      }
      if (moved || !run.playing) schedule();
      if (run.playing) raf = requestAnimationFrame(tick);
    }

    // ---- drawing ----
    let pending = false;
    function schedule() {
      if (pending || run.closed) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; render(); });
    }
    function render() {
      const n = run.records.length;
      if (run.follow) run.cursor = n;
      els.slider.max = Math.max(0, n);
      els.slider.min = Math.min(1, n);
      els.slider.value = run.cursor;
      els.pos.textContent = `${run.cursor} / ${n}`;
      page.dataset.cursor = run.cursor;
      page.dataset.total = n;
      const current = run.records[run.cursor - 1];
      els.what.textContent = current ? `${AC.fmtOffset(timeOf(run.cursor))} · ${describe(current)}` : '';
      const atEnd = run.cursor >= n;
      if (run.model) AC.drawTimeline(els.timeline, run.model, atEnd ? null : { t: timeOf(run.cursor), i: run.cursor }, jumpToSeq, run.scale);
      renderPane();
    }
    const shown = () => run.records.slice(0, run.cursor);

    function renderPane() {
      const tabName = run.tab;
      if (tabName === 'messages') renderMessages();
      else if (tabName === 'files') renderFiles();
      else if (tabName === 'figures') {
        const now = performance.now();
        if (run.rendered.figuresCursor !== run.cursor && (now - run.rendered.figures > 300 || !run.playing)) {
          run.rendered.figures = now;
          run.rendered.figuresCursor = run.cursor;
          AC.renderFigures(els.pane, shown(), run.model ? run.model.end : 0, jumpToSeq);
        }
      } else if (tabName === 'events') renderEvents();
    }

    // Messages: appended as the cursor moves forward, rebuilt when it moves back.
    let feed = null;
    function renderMessages() {
      if (!feed || !els.pane.contains(feed)) {
        feed = el('div', { class: 'feed', id: 'feed' });
        els.pane.replaceChildren(feed);
        run.rendered.messages = 0;
      }
      if (run.cursor < run.rendered.messages) {
        feed.replaceChildren();
        run.rendered.messages = 0;
      }
      // A long run shows its last messages first; earlier ones come on request.
      let begin = run.rendered.messages;
      if (begin === 0 && !run.showAllMessages) {
        let count = 0;
        for (begin = run.cursor; begin > 0 && count < kFeedWindow; begin--) if (run.records[begin - 1].type === 'message') count++;
        if (begin > 0) {
          const hidden = run.records.slice(0, begin).filter((r) => r.type === 'message').length;
          feed.appendChild(el('button', { class: 'btn more', onclick: () => { run.showAllMessages = true; feed.replaceChildren(); run.rendered.messages = 0; renderMessages(); } },
            `show ${hidden} earlier message${hidden === 1 ? '' : 's'}`));
        }
      }
      const fresh = [];
      for (let i = begin; i < run.cursor; i++) {
        const r = run.records[i];
        if (r.type === 'message') fresh.push(messageCard(r));
        else if (r.type === 'tool_result') fresh.push(toolStep(r, i));
        else if (r.type === 'run_end') fresh.push(el('div', { class: 'feed-end' }, `run ended: ${r.reason}${r.detail ? ' — ' + r.detail : ''}`));
      }
      run.rendered.messages = run.cursor;
      if (fresh.length) {
        feed.append(...fresh);
        AC.renderMermaidIn(feed);
        if (run.playing || (run.follow && run.ws)) fresh[fresh.length - 1].scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      }
      if (!feed.children.length) feed.replaceChildren(el('p', { class: 'muted empty-note' }, 'No messages yet at this point of the run.'));
      else if (feed.firstChild.classList.contains('empty-note')) feed.firstChild.remove();
    }

    // A role's tool call with its result, one line, opening on the whole result (as the model
    // was shown it, cut as the viewer cuts long texts).
    function toolStep(r, index) {
      let call = null;
      for (let j = index - 1; j >= 0 && !call; j--) {
        const c = run.records[j];
        if (c.type === 'tool_call' && c.role === r.role && c.tool === r.tool && (!r.call_id || c.call_id === r.call_id)) call = c;
      }
      const color = AC.roleColor(r.role || '?');
      const firstLine = (r.text || '').split('\n')[0];
      return el('details', { class: `tool-step${r.is_error ? ' failed' : ''}`, 'data-seq': r.seq, style: `--role:${color}` },
        el('summary', {},
          el('strong', {}, r.role || '?'), el('span', { class: 'arrow-to' }, '→'),
          el('span', { class: 'tag' }, r.server ? `${r.server}: ${r.tool}` : r.tool),
          el('code', { class: 'tool-args' }, call ? (call.arguments || '').slice(0, 160) : ''),
          el('span', { class: 'tool-out' }, (r.is_error ? 'error: ' : '') + firstLine.slice(0, 120)),
          el('a', { class: 'time', href: 'javascript:void 0', title: 'jump here', onclick: () => jumpToSeq(r.seq) }, AC.fmtOffset((AC.recMs(r) - AC.recMs(run.records[0])) / 1000))),
        el('pre', { class: 'tool-text' }, r.text || ''));
    }

    function messageCard(r) {
      const from = r.sent_from || r.role || '?';
      const to = (r.recipients && r.recipients.length ? r.recipients : r.send_to && r.send_to.length ? r.send_to : null);
      const color = AC.roleColor(from);
      const payload = r.payload || {};
      const extras = [];
      if (payload.document && payload.value !== undefined) extras.push(AC.renderDocument(payload.document, payload.value));
      for (const key of ['files', 'tests']) {
        if (Array.isArray(payload[key]) && payload[key].length) {
          extras.push(el('div', { class: 'chips' }, payload[key].map((f) => el('a', {
            class: 'chip', href: `#/run/${encodeURIComponent(run.id)}/files`, title: 'show in Files',
            onclick: () => { run.pendingFile = f; },
          }, f))));
        }
      }
      if (payload.verdict && typeof payload.verdict === 'object') extras.push(el('div', { class: 'chips' }, verdictBadge(payload.verdict)));
      return el('article', { class: 'msg', 'data-seq': r.seq, style: `--role:${color}` },
        el('div', { class: 'avatar', style: `background:${color}` }, from.slice(0, 1).toUpperCase()),
        el('div', { class: 'msg-main' },
          el('header', { class: 'msg-head' },
            el('strong', {}, from), r.role && r.role !== from ? el('span', { class: 'muted' }, ` · ${r.role}`) : null,
            el('span', { class: 'arrow-to' }, '→'),
            el('span', { class: 'to' }, to ? to.join(', ') : 'everyone watching'),
            r.cause_by ? el('span', { class: 'tag' }, r.cause_by) : null,
            // A loop's round (and its exit), a fan-out's branch: the SOP's control flow, as it ran.
            r.round ? el('span', { class: 'tag flow', title: r.exit ? 'the loop ends here' : 'a round of a loop' },
              `round ${r.round}${r.exit ? ' · exit' : ''}`) : null,
            r.branch && typeof r.branch === 'object' ? el('span', { class: 'tag flow', title: 'one branch of a fan-out' },
              r.branch.of ? `branch ${r.branch.index + 1}/${r.branch.of}` : 'no branch (empty list)') : null,
            el('a', { class: 'time', href: 'javascript:void 0', title: 'jump here', onclick: () => jumpToSeq(r.seq) }, AC.fmtOffset((AC.recMs(r) - AC.recMs(run.records[0])) / 1000))),
          AC.markdown(r.content || ''),
          extras));
    }

    // Files: commits up to the cursor, a commit's diff or its tree.
    async function renderFiles() {
      if (run.commits === null) {
        run.commits = 'loading';
        try { run.commits = await AC.api(`/api/runs/${encodeURIComponent(run.id)}/commits`); } catch { run.commits = []; }
        run.rendered.files = '';
      }
      if (!Array.isArray(run.commits)) return;
      const seen = new Set(), writes = [];
      let traceHasCommits = false;
      for (const r of shown()) {
        if (r.type === 'commit') { traceHasCommits = true; if (r.commit) seen.add(r.commit); }
        if (r.type === 'file_write') writes.push(r);
      }
      const commits = traceHasCommits ? run.commits.filter((c) => seen.has(c.id)) : run.commits;
      if (traceHasCommits && [...seen].some((c) => !run.commits.find((x) => x.id === c)) && !run.refetching) {
        run.refetching = true;
        AC.api(`/api/runs/${encodeURIComponent(run.id)}/commits`).then((c) => { run.commits = c; run.refetching = false; run.rendered.files = ''; schedule(); }).catch(() => (run.refetching = false));
      }
      const key = `${commits.length}|${run.selectedCommit}|${run.fileView}|${writes.length}`;
      if (run.rendered.files === key && els.pane.querySelector('.files')) return;
      run.rendered.files = key;
      if (!commits.length) {
        els.pane.replaceChildren(el('div', { class: 'files card pad' },
          el('p', { class: 'muted' }, run.commits.length ? 'No commits yet at this point of the run.' : 'This run folder has no git history. Files as the trace recorded them:'),
          run.commits.length ? null : el('ul', { class: 'plain' }, writes.map((w) => el('li', {}, el('a', { href: 'javascript:void 0', onclick: () => showTraceFile(w) }, w.path), el('span', { class: 'muted' }, ` · ${w.role} · ${w.bytes} bytes`))))));
        return;
      }
      if (!run.selectedCommit || !commits.find((c) => c.id === run.selectedCommit)) run.selectedCommit = commits[0].id;
      const list = el('ol', { class: 'commits', id: 'commits' }, commits.map((c) => el('li', {
        class: `commit${c.id === run.selectedCommit ? ' selected' : ''}`, onclick: () => { run.selectedCommit = c.id; run.rendered.files = ''; renderFiles(); },
      }, el('div', { class: 'commit-line' }, el('span', { class: 'dot', style: `background:${AC.roleColor(roleOf(c.author))}` }), el('strong', {}, c.author), el('code', { class: 'sha' }, c.short)),
      el('div', { class: 'commit-msg' }, c.message.split('\n')[0]), el('div', { class: 'muted small' }, `${c.files} file${c.files === 1 ? '' : 's'}`))));
      const detail = el('div', { class: 'commit-detail' }, el('p', { class: 'muted' }, 'loading…'));
      els.pane.replaceChildren(el('div', { class: 'files' }, el('div', { class: 'card commits-card' }, el('div', { class: 'card-head' }, el('h2', {}, `Commits`), el('span', { class: 'muted small' }, `${commits.length}`)), list), detail));
      const commit = commits.find((c) => c.id === run.selectedCommit);
      const switcher = el('div', { class: 'seg' },
        el('button', { class: run.fileView === 'changes' ? 'on' : '', onclick: () => { run.fileView = 'changes'; run.rendered.files = ''; renderFiles(); } }, 'Changes'),
        el('button', { class: run.fileView === 'tree' ? 'on' : '', onclick: () => { run.fileView = 'tree'; run.rendered.files = ''; renderFiles(); } }, 'All files at this commit'));
      const head = el('div', { class: 'commit-head' },
        el('div', {}, el('h2', {}, commit.message.split('\n')[0]), el('div', { class: 'muted small' }, el('span', { class: 'dot', style: `background:${AC.roleColor(roleOf(commit.author))}` }), `${commit.author} <${commit.email}> · ${commit.id}`)), switcher);
      const base = `/api/runs/${encodeURIComponent(run.id)}`;
      try {
        if (run.fileView === 'changes') {
          const diff = await AC.api(`${base}/diff?commit=${commit.id}`);
          detail.replaceChildren(el('div', { class: 'card pad' }, head, diff.files.length ? diff.files.map(diffFile) : el('p', { class: 'muted' }, 'no changes')));
        } else {
          const tree = await AC.api(`${base}/tree?commit=${commit.id}`);
          const viewer = el('div', { class: 'file-view' }, el('p', { class: 'muted' }, 'Pick a file.'));
          const open = async (path, item) => {
            detail.querySelectorAll('.tree li').forEach((n) => n.classList.remove('selected'));
            if (item) item.classList.add('selected');
            const text = await AC.api(`${base}/file?commit=${commit.id}&path=${encodeURIComponent(path)}`);
            viewer.replaceChildren(el('div', { class: 'file-name' }, path), fileBody(path, text));
            AC.renderMermaidIn(viewer);
          };
          const items = tree.files.map((f) => {
            const item = el('li', { title: `${f.size} bytes` }, f.path);
            item.addEventListener('click', () => open(f.path, item));
            return item;
          });
          detail.replaceChildren(el('div', { class: 'card pad' }, head, el('div', { class: 'tree-split' }, el('ul', { class: 'tree' }, items), viewer)));
          const wanted = run.pendingFile && tree.files.find((f) => f.path === run.pendingFile);
          run.pendingFile = null;
          if (wanted) open(wanted.path, items[tree.files.indexOf(wanted)]);
        }
      } catch (e) {
        detail.replaceChildren(el('p', { class: 'muted' }, `cannot load: ${e.message}`));
      }
    }

    // Git authors are "Alice (Product Manager)": the role is the name.
    const roleOf = (author) => (author || '').replace(/\s*\(.*\)\s*$/, '');

    function fileBody(path, text) {
      if (/\.md$/i.test(path)) return el('div', { class: 'md-file' }, AC.markdown(text));
      if (/\.mmd$/i.test(path)) return el('div', { html: `<div class="mermaid-src" data-src="${AC.esc(text)}"></div>` });
      return el('pre', { class: 'code numbered', html: AC.highlight(text, AC.langOf(path)) });
    }

    async function showTraceFile(w) {
      const page = await AC.api(`/api/runs/${encodeURIComponent(run.id)}/trace?from=${w.seq}&limit=1`);
      const r = page.records[0];
      els.pane.querySelector('.files').appendChild(el('div', { class: 'file-view' }, el('div', { class: 'file-name' }, r.path), fileBody(r.path, r.content || '')));
    }

    function diffFile(f) {
      const lines = (f.patch || '').split('\n');
      const body = el('pre', { class: 'diff' }, lines.filter((l, i) => !(i < 6 && /^(diff --git|index |--- |\+\+\+ |new file|deleted file|similarity|rename )/.test(l))).map((l) => el('div', {
        class: l.startsWith('@@') ? 'hunk' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '',
      }, l || ' ')));
      return el('details', { class: 'diff-file', open: true },
        el('summary', {}, el('span', { class: `st ${f.status}` }, f.status), el('strong', {}, f.path), el('span', { class: 'adds' }, ` +${f.additions}`), el('span', { class: 'dels' }, ` −${f.deletions}`), f.truncated ? el('span', { class: 'muted' }, ' (cut)') : null),
        f.binary ? el('p', { class: 'muted' }, 'binary file') : body);
    }

    // Events: every record around the cursor, with its full JSON on demand.
    function renderEvents() {
      if (run.rendered.events === run.cursor && els.pane.querySelector('.events')) return;
      run.rendered.events = run.cursor;
      const from = Math.max(0, run.cursor - 300);
      const rows = [];
      for (let i = from; i < run.cursor; i++) {
        const r = run.records[i];
        rows.push(el('tr', { class: `ev ${r.type}${i === run.cursor - 1 ? ' current' : ''}`, onclick: () => showRecord(r.seq) },
          el('td', { class: 'num muted' }, r.seq), el('td', { class: 'muted nowrap' }, AC.fmtOffset(timeOf(i + 1))),
          el('td', {}, el('span', { class: 'type' }, r.type)), el('td', { class: 'ev-role' }, r.sent_from || roleOf(r.role) || ''), el('td', { class: 'ev-text', title: describe(r, true) }, describe(r, true))));
      }
      const detail = el('pre', { class: 'code record', id: 'record' }, 'Click an event to see its full record.');
      els.pane.replaceChildren(el('div', { class: 'events' },
        el('div', { class: 'card' }, el('table', { class: 'grid-table ev-table' }, el('tbody', {}, rows)),
          from > 0 ? el('p', { class: 'muted small pad' }, `${from} earlier events: move the replay back to list them`) : null),
        el('div', { class: 'card pad sticky' }, detail)));
      const cur = els.pane.querySelector('tr.current');
      if (cur) cur.scrollIntoView({ block: 'nearest' });
      async function showRecord(seq) {
        jumpToSeq(seq);
        const page = await AC.api(`/api/runs/${encodeURIComponent(run.id)}/trace?from=${seq}&limit=1`);
        const box = document.getElementById('record');
        if (box) box.textContent = JSON.stringify(page.records[0], null, 2);
      }
    }

    function describe(r, long) {
      switch (r.type) {
        case 'run_start': return `run started: ${r.idea || ''}`;
        case 'message': return `${r.sent_from} → ${(r.recipients || []).join(', ') || 'everyone'}: ${(r.content || '').split('\n')[0].slice(0, long ? 140 : 60)}`;
        case 'action_start': return `${r.role} starts ${r.action}`;
        case 'action_end': return `${r.role} ends ${r.action}${r.ok === false ? ' (failed: ' + (r.error || '') + ')' : ''}`;
        case 'llm_request': return `${r.role} asks the model (${r.action}${r.hints && r.hints.file ? ': ' + r.hints.file : ''})`;
        case 'llm_response': return `${r.role} gets a reply: ${AC.fmtNum((r.usage || {}).completion_tokens)} tokens in ${AC.fmtDuration(r.latency_s)}`;
        case 'llm_error': return `${r.role}: model error ${r.error || ''}`;
        case 'file_write': return `${r.role} writes ${r.path} (${r.bytes} bytes)`;
        case 'tool_call': return `${r.role} calls ${r.tool}${r.server ? ' (MCP ' + r.server + ')' : ''}: ${(r.arguments || '').slice(0, long ? 200 : 60)}`;
        case 'tool_result': return `${r.tool} answers ${r.role}${r.is_error ? ' with an error' : ''}: ${(r.text || '').split('\n')[0].slice(0, long ? 200 : 60)}`;
        case 'mcp_server': return `MCP server ${r.server}: ${(r.tools || []).length} tools (${r.server_name || ''} ${r.server_version || ''}, MCP ${r.revision || ''})`;
        case 'commit': return `${r.role} commits: ${(r.message || '').split('\n')[0]}`;
        case 'review': return `${r.role} reviews ${r.file}: ${r.verdict}`;
        case 'execution': return `${r.role} runs ${r.name || r.command}: exit ${r.exit_code}${r.timed_out ? ' (deadline)' : ''}`;
        case 'run_end': return `run ended: ${r.reason}`;
        case 'project_renamed': return `folder renamed to ${r.to}`;
        case 'warning': return `warning: ${r.message}`;
        default: return r.type;
      }
    }

    // ---- data ----
    function addRecords(records, live) {
      let renamed = null;
      for (const r of records) {
        if (run.seqIndex.has(r.seq)) continue;
        run.seqIndex.set(r.seq, run.records.length);
        // One clock for the whole run: an imported run's records without "at" take the
        // time of the record before them.
        if (r.type === 'run_start' && r.at) run.imported = true;
        const ms = r.at ? AC.tsMs(r.at) : run.imported ? NaN : AC.tsMs(r.ts);
        r._ms = isFinite(ms) ? ms : run.lastMs ?? AC.tsMs(r.ts);
        run.lastMs = r._ms;
        run.records.push(r);
        if (r.type === 'project_renamed' && r.to) renamed = r.to;
        if (r.type === 'commit') run.rendered.files = '';
        if (r.type === 'run_end' && run.summary) run.summary.status = r.reason === 'idle' ? 'finished' : 'stopped';
      }
      // A live run that renames its folder keeps its page: the address follows.
      if (live && renamed && renamed !== run.id) {
        run.id = renamed;
        history.replaceState(null, '', `#/run/${encodeURIComponent(renamed)}/${run.tab}`);
        document.getElementById('crumbs').lastChild.textContent = renamed;
        drawTabs();
      }
      run.model = AC.buildTimeline(run.records, run.summary ? run.summary.roles : []);
      drawFacts();
      schedule();
    }

    function drawFacts() {
      const s = run.summary;
      if (!s) return;
      const figures = AC.computeFigures(run.records);
      const fact = (label, value, idName) => el('div', { class: 'fact', id: idName }, el('span', { class: 'label' }, label), el('span', { class: 'value' }, value));
      els.title.textContent = s.idea || s.id;
      els.facts.replaceChildren(...[
        el('div', { class: 'fact' }, statusBadge(s)),
        fact('SOP', s.sop || '—'), fact('model', s.model || '—'),
        fact('duration', AC.fmtDuration(s.status === 'running' ? (run.model ? run.model.end : 0) : s.duration_s)),
        fact('cost', AC.fmtCost(s.status === 'running' ? figures.cost : s.cost_usd)),
        fact('tokens', AC.fmtNum(s.status === 'running' ? figures.tokens : s.tokens)),
        fact('model calls', AC.fmtNum(s.status === 'running' ? figures.calls.length : s.calls)),
        fact('files', s.files ?? '—'),
        s.verdict ? el('div', { class: 'fact' }, el('span', { class: 'label' }, 'verdict'), verdictBadge(s.verdict)) : null].filter(Boolean));
      els.live.hidden = !(s.status === 'running' && run.ws);
    }

    async function load() {
      try {
        run.summary = await AC.api(`/api/runs/${encodeURIComponent(id)}`);
      } catch (e) {
        els.title.textContent = e.status === 404 ? 'No such run' : `Cannot load the run (${e.message})`;
        els.facts.replaceChildren(el('a', { href: '#/' }, '← all runs'));
        return;
      }
      for (const r of run.summary.roles || []) AC.roleColor(r.name);
      let from = 1;
      for (;;) {
        const page = await AC.api(`/api/runs/${encodeURIComponent(run.id)}/trace?compact=1&from=${from}&limit=20000`);
        addRecords(page.records);
        if (run.closed || !page.more) { from = page.next; break; }
        from = page.next;
      }
      if (run.summary.status === 'running') connect(from);
      drawFacts();
    }

    function connect(from) {
      if (run.closed) return;
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const ws = new WebSocket(`${scheme}://${location.host}/api/runs/${encodeURIComponent(run.id)}/live?from=${from}`);
      run.ws = ws;
      ws.onopen = () => drawFacts();
      ws.onmessage = (event) => {
        const frame = JSON.parse(event.data);
        if (frame.records && frame.records.length) addRecords(frame.records, true);
      };
      ws.onclose = async () => {
        run.ws = null;
        if (run.closed) return;
        try { run.summary = Object.assign(await AC.api(`/api/runs/${encodeURIComponent(run.id)}`), { roles: run.summary.roles }); } catch { /* renamed or gone */ }
        drawFacts();
        if (run.summary.status === 'running') {
          const last = run.records.length ? run.records[run.records.length - 1].seq + 1 : 1;
          setTimeout(() => connect(last), 1000);
        }
      };
    }

    window.addEventListener('resize', schedule);
    load();
    run.setTab = (t) => {
      run.tab = t;
      run.rendered = { messages: -1, files: '', figures: 0, events: -1 };
      feed = null;
      drawTabs();
      schedule();
    };
    currentRun = run;
    return () => {
      run.closed = true;
      pause();
      if (run.ws) run.ws.close();
      document.removeEventListener('keydown', keys);
      window.removeEventListener('resize', schedule);
      currentRun = null;
    };
  }

  // ---------------------------------------------------------------- routing
  let currentRun = null;
  function route() {
    const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    if (parts[0] === 'run' && parts[1]) {
      const tab = TABS.some(([k]) => k === parts[2]) ? parts[2] : 'messages';
      if (currentRun && currentRun.id === parts[1]) return currentRun.setTab(tab);
      if (teardown) teardown();
      teardown = showRun(parts[1], tab);
    } else {
      if (teardown) teardown();
      teardown = showRuns();
    }
    window.scrollTo(0, 0);
  }

  window.addEventListener('hashchange', route);
  AC.api('/api/info').then((info) => (AC.info = info)).catch(() => (AC.info = {})).finally(route);
})();
