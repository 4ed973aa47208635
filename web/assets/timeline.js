// The run's timeline: one lane per role; actions (the role working) as light bars, model
// calls (the role waiting on the model) as dark bars inside them, parallel calls stacked,
// file writes, commits, tool calls and messages as ticks. Gaps are the role idle, waiting for messages.
// Built from the trace alone, so imported runs and replays draw the same way.
'use strict';
(function () {
  const { el } = AC;

  // records: compact trace records in seq order; roles: [{name, profile}].
  AC.buildTimeline = function (records, roles) {
    const t0 = records.length ? AC.recMs(records[0]) : 0;
    const lanes = new Map();
    const lane = (name) => {
      if (!lanes.has(name)) lanes.set(name, { name, profile: '', actions: [], calls: [], marks: [] });
      return lanes.get(name);
    };
    for (const r of roles || []) lane(r.name).profile = r.profile || '';
    const openActions = new Map(), openCalls = new Map();
    let end = 0;
    records.forEach((r, index) => {
      const t = (AC.recMs(r) - t0) / 1000;
      const i = index + 1;
      if (isFinite(t)) end = Math.max(end, t);
      switch (r.type) {
        case 'action_start': {
          const a = { start: t, end: null, si: i, ei: null, action: r.action, seq: r.seq, ok: true };
          lane(r.role).actions.push(a);
          const key = `${r.role}|${r.action}`;
          if (!openActions.has(key)) openActions.set(key, []);
          openActions.get(key).push(a);
          break;
        }
        case 'action_end': {
          const stack = openActions.get(`${r.role}|${r.action}`);
          const a = stack && stack.shift();
          if (a) Object.assign(a, { end: t, ei: i, ok: r.ok !== false, endSeq: r.seq, error: r.error });
          break;
        }
        case 'llm_request': {
          const c = { start: t, end: null, si: i, ei: null, action: r.action, seq: r.seq, callId: r.call_id, file: r.hints && r.hints.file };
          lane(r.role).calls.push(c);
          openCalls.set(`${r.role}|${r.call_id}`, c);
          break;
        }
        case 'llm_response':
        case 'llm_error': {
          const c = openCalls.get(`${r.role}|${r.call_id}`);
          if (c) {
            Object.assign(c, { end: t, ei: i, ok: r.type === 'llm_response', endSeq: r.seq, latency: r.latency_s, error: r.error });
            if (r.usage) c.tokens = (r.usage.prompt_tokens || 0) + (r.usage.completion_tokens || 0);
            openCalls.delete(`${r.role}|${r.call_id}`);
          }
          break;
        }
        case 'message':
          if (r.sent_from && lanes.has(r.sent_from)) lane(r.sent_from).marks.push({ t, i, kind: 'message', seq: r.seq, label: `message: ${r.cause_by || ''}` });
          break;
        case 'tool_result':
          if (r.role && lanes.has(r.role)) lane(r.role).marks.push({ t, i, kind: r.is_error ? 'tool failed' : 'tool', seq: r.seq, label: `tool: ${r.tool}${r.server ? ' (MCP ' + r.server + ')' : ''}${r.is_error ? ' failed' : ''}: ${(r.text || '').split('\n')[0].slice(0, 80)}` });
          break;
        case 'file_write':
        case 'commit':
        case 'execution':
        case 'review':
          if (r.role && lanes.has(r.role)) lane(r.role).marks.push({ t, i, kind: r.type, seq: r.seq, label: `${r.type}: ${r.path || r.file || r.name || (r.message || '').split('\n')[0]}` });
          break;
      }
    });
    // Model calls that overlap take separate rows of their lane.
    for (const l of lanes.values()) {
      for (const a of l.actions) if (a.ei === null) a.ei = records.length;
      const rowEnds = [];
      for (const c of l.calls) {
        const stop = c.end ?? end;
        let row = rowEnds.findIndex((e) => e <= c.start + 1e-6);
        if (row < 0) { row = rowEnds.length; rowEnds.push(stop); } else rowEnds[row] = stop;
        // The same packing must hold on the event scale, where ties are distinct.
        if (c.ei === null) c.ei = records.length;
        c.row = row;
      }
      l.rows = Math.max(1, rowEnds.length);
    }
    const list = [...lanes.values()].filter((l) => l.name !== 'User' || l.actions.length || l.calls.length);
    return { t0, end, count: records.length, lanes: list };
  };

  function niceStep(span, px) {
    const target = span / Math.max(1, px / 90);
    const steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
    return steps.find((s) => s >= target) || 7200;
  }
  const tickLabel = (s, step) => (s >= 60 || step >= 60 ? `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}` : step < 1 ? `${s.toFixed(step < 0.01 ? 3 : step < 0.1 ? 2 : 1)} s` : `${Math.round(s)} s`);

  // Draws `model` into `host` (replacing it). `cursor`: null (show everything) or {t, i}:
  // the replay position in seconds and in events; items after it are hidden, items running
  // at it are cut there. `mode`: 'time' (x is wall-clock time) or 'events' (x is the event
  // number, so that bursts of fast events get room). `onPick(seq | {time} | {index})`.
  AC.drawTimeline = function (host, model, cursor, onPick, mode) {
    const byEvents = mode === 'events';
    const width = Math.max(480, host.clientWidth || 900);
    // Label column: wide enough for names (13px bold) and profiles (11px), within reason.
    const nameW = 7.8, profileW = 6.4;
    const longest = Math.max(60, ...model.lanes.map((l) => Math.max(l.name.length * nameW, l.profile.length * profileW)));
    const labelW = Math.min(240, Math.max(120, longest + 44)), pad = 14, rowH = 12, axisH = 26;
    const fit = (text, w) => (text.length * w + 40 > labelW ? text.slice(0, Math.max(3, Math.floor((labelW - 44) / w))) + '…' : text);
    const span = byEvents ? Math.max(1, model.count) : Math.max(model.end, 0.001);
    const plotW = width - labelW - pad * 2;
    const X = (v) => labelW + pad + (Math.min(Math.max(v, 0), span) / span) * plotW;
    // Positions of an item's start and end in the current mode.
    const from = (item) => X(byEvents ? item.si - 1 : item.start);
    const to = (item) => X(byEvents ? item.ei : item.end);
    const cursorX = cursor ? X(byEvents ? cursor.i : cursor.t) : null;
    const laneHeights = model.lanes.map((l) => 22 + l.rows * (rowH + 3) + 8);
    const height = axisH + laneHeights.reduce((a, b) => a + b, 0) + 6;
    const svg = el('svg', { class: 'timeline', width, height, viewBox: `0 0 ${width} ${height}` });
    const started = (item) => !cursor || (byEvents ? (item.si ?? item.i) <= cursor.i : (item.start ?? item.t) <= cursor.t + 1e-9);
    const ended = (item) => item.ei !== null && (!cursor || (byEvents ? item.ei <= cursor.i : item.end <= cursor.t + 1e-9)) && item.end !== null;
    const endX = (item) => (ended(item) ? to(item) : cursor ? cursorX : X(span));

    const step = byEvents ? niceCount(span, plotW) : niceStep(span, plotW);
    for (let s = 0; s <= span + 1e-9; s += step) {
      svg.appendChild(el('line', { x1: X(s), x2: X(s), y1: axisH - 6, y2: height, class: 'grid' }));
      svg.appendChild(el('text', { x: X(s), y: 14, class: 'tick', 'text-anchor': 'middle' }, byEvents ? `#${s}` : tickLabel(s, step)));
    }
    let y = axisH;
    model.lanes.forEach((l, n) => {
      const h = laneHeights[n];
      const color = AC.roleColor(l.name);
      const g = el('g', { class: 'lane', 'data-role': l.name });
      g.appendChild(el('rect', { x: 0, y, width, height: h, class: n % 2 ? 'lane-bg odd' : 'lane-bg' }));
      g.appendChild(el('circle', { cx: 14, cy: y + 17, r: 5, fill: color }));
      g.appendChild(el('text', { x: 26, y: y + 21, class: 'lane-name' }, fit(l.name, nameW), el('title', {}, l.name)));
      if (l.profile) g.appendChild(el('text', { x: 26, y: y + 36, class: 'lane-profile' }, fit(l.profile, profileW)));
      // Idle baseline: the role waiting for work.
      g.appendChild(el('line', { x1: X(0), x2: cursor ? cursorX : X(span), y1: y + h / 2, y2: y + h / 2, class: 'idle-line' }));
      for (const a of l.actions) {
        if (!started(a)) continue;
        const running = !ended(a);
        const w = Math.max(2, endX(a) - from(a));
        const bar = el('rect', { x: from(a), y: y + 5, width: w, height: h - 10, rx: 4, class: `action${a.ok ? '' : ' failed'}${running ? ' running' : ''}`, fill: color, stroke: color, 'data-seq': a.seq },
          el('title', {}, `${l.name} · ${a.action}\n${a.end === null ? 'working…' : AC.fmtDuration(a.end - a.start) + ' working'}${a.ok ? '' : ' · failed: ' + (a.error || '')}\nclick: jump to this event`));
        bar.addEventListener('click', () => onPick && onPick(a.seq));
        g.appendChild(bar);
        if (w > a.action.length * 6.4 + 14) g.appendChild(el('text', { x: from(a) + 6, y: y + 17, class: 'action-label' }, a.action));
      }
      for (const c of l.calls) {
        if (!started(c)) continue;
        const cy = y + 22 + c.row * (rowH + 3);
        const bar = el('rect', { x: from(c), y: cy, width: Math.max(2, endX(c) - from(c)), height: rowH, rx: 2, class: `call${c.ok === false ? ' failed' : ''}`, fill: color, 'data-seq': c.seq },
          el('title', {}, `${l.name} · model call #${c.callId} (${c.action}${c.file ? ': ' + c.file : ''})\n${c.end === null ? 'waiting…' : AC.fmtDuration(c.end - c.start) + ' waiting on the model'}${c.tokens ? ' · ' + c.tokens + ' tokens' : ''}${c.error ? '\nerror: ' + c.error : ''}`));
        bar.addEventListener('click', () => onPick && onPick(c.seq));
        g.appendChild(bar);
      }
      for (const m of l.marks) {
        if (!started(m)) continue;
        const mx = X(byEvents ? m.i - 0.5 : m.t);
        const mark = el('rect', { x: mx - 1, y: y + h - 7, width: 2.5, height: 6, class: `mark ${m.kind}` }, el('title', {}, m.label));
        mark.addEventListener('click', () => onPick && onPick(m.seq));
        g.appendChild(mark);
      }
      svg.appendChild(g);
      y += h;
    });
    if (cursor) svg.appendChild(el('line', { x1: cursorX, x2: cursorX, y1: axisH - 8, y2: height, class: 'cursor' }));
    // Clicking empty plot space jumps to that moment.
    svg.addEventListener('click', (e) => {
      if (e.target.tagName !== 'rect' || !e.target.classList.contains('lane-bg')) return;
      const box = svg.getBoundingClientRect();
      const v = ((e.clientX - box.left - labelW - pad) / plotW) * span;
      if (v >= 0 && onPick) onPick(byEvents ? { index: Math.ceil(v) } : { time: v });
    });
    host.replaceChildren(svg);
  };

  function niceCount(count, px) {
    const target = count / Math.max(1, px / 70);
    return [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000].find((s) => s >= target) || 10000;
  }
})();
