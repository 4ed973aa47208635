// Figures of a run up to the replay position: tokens and cost per role, both over time,
// and each model call's latency. Plain SVG drawn by hand.
'use strict';
(function () {
  const { el } = AC;

  AC.computeFigures = function (records) {
    const t0 = records.length ? AC.recMs(records[0]) : 0;
    const roles = new Map();
    const role = (name) => {
      if (!roles.has(name)) roles.set(name, { name, prompt: 0, completion: 0, cost: 0, calls: 0, errors: 0, latency: 0, estimated: false });
      return roles.get(name);
    };
    const series = [{ t: 0, tokens: 0, cost: 0 }];
    const calls = [];
    let tokens = 0, cost = 0;
    for (const r of records) {
      const t = (AC.recMs(r) - t0) / 1000;
      if (r.type === 'llm_response') {
        const s = role(r.role), u = r.usage || {};
        s.prompt += u.prompt_tokens || 0;
        s.completion += u.completion_tokens || 0;
        s.cost += r.cost_usd || 0;
        s.calls += 1;
        s.latency += r.latency_s || 0;
        s.estimated = s.estimated || !!u.estimated;
        tokens += (u.prompt_tokens || 0) + (u.completion_tokens || 0);
        cost += r.cost_usd || 0;
        series.push({ t, tokens, cost });
        calls.push({ t, role: r.role, latency: r.latency_s || 0, first: r.first_token_s, seq: r.seq, action: r.action });
      } else if (r.type === 'llm_error') {
        role(r.role).errors += 1;
        calls.push({ t, role: r.role, latency: r.latency_s || 0, seq: r.seq, action: r.action, error: true });
      }
    }
    return { roles: [...roles.values()], series, calls, tokens, cost };
  };

  function hbars(title, rows, valueOf, format, parts) {
    const max = Math.max(1e-12, ...rows.map(valueOf));
    const box = el('div', { class: 'figure' }, el('h3', {}, title));
    for (const r of rows) {
      const v = valueOf(r);
      const bar = el('div', { class: 'hbar-track' });
      if (parts) {
        for (const [key, shade] of parts) bar.appendChild(el('div', { class: `hbar ${shade}`, style: `width:${(r[key] / max) * 100}%;background:${AC.roleColor(r.name)}` }));
      } else {
        bar.appendChild(el('div', { class: 'hbar', style: `width:${(v / max) * 100}%;background:${AC.roleColor(r.name)}` }));
      }
      box.appendChild(el('div', { class: 'hbar-row' }, el('span', { class: 'hbar-label' }, r.name), bar, el('span', { class: 'hbar-value' }, format(v, r))));
    }
    if (!rows.length) box.appendChild(el('p', { class: 'muted' }, 'no model calls yet'));
    return box;
  }

  function lineChart(title, series, key, format, span) {
    const w = 520, h = 170, l = 56, b = 24, t = 10, r = 12;
    const maxV = Math.max(1e-12, ...series.map((p) => p[key]));
    const maxT = Math.max(span || 0, ...series.map((p) => p.t), 1e-3);
    const X = (v) => l + (v / maxT) * (w - l - r), Y = (v) => h - b - (v / maxV) * (h - b - t);
    const svg = el('svg', { class: 'chart', viewBox: `0 0 ${w} ${h}`, width: '100%' });
    for (let i = 0; i <= 4; i++) {
      const v = (maxV * i) / 4;
      svg.appendChild(el('line', { x1: l, x2: w - r, y1: Y(v), y2: Y(v), class: 'grid' }));
      svg.appendChild(el('text', { x: l - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'tick' }, format(v)));
    }
    svg.appendChild(el('text', { x: w - r, y: h - 6, 'text-anchor': 'end', class: 'tick' }, AC.fmtDuration(maxT)));
    svg.appendChild(el('text', { x: l, y: h - 6, class: 'tick' }, '0'));
    let d = '';
    series.forEach((p, i) => {
      d += `${i ? 'L' : 'M'}${X(p.t).toFixed(1)},${Y(series[i ? i - 1 : 0][key]).toFixed(1)}L${X(p.t).toFixed(1)},${Y(p[key]).toFixed(1)}`;
    });
    svg.appendChild(el('path', { d, class: 'line' }));
    return el('div', { class: 'figure' }, el('h3', {}, title), svg);
  }

  function latencyChart(calls, onPick) {
    const w = 520, h = 190, l = 44, b = 22, t = 10, r = 12;
    const maxV = Math.max(1e-6, ...calls.map((c) => c.latency));
    const svg = el('svg', { class: 'chart', viewBox: `0 0 ${w} ${h}`, width: '100%' });
    const bw = Math.max(2, Math.min(18, (w - l - r) / Math.max(1, calls.length) - 2));
    const Y = (v) => h - b - (v / maxV) * (h - b - t);
    for (let i = 0; i <= 4; i++) {
      const v = (maxV * i) / 4;
      svg.appendChild(el('line', { x1: l, x2: w - r, y1: Y(v), y2: Y(v), class: 'grid' }));
      svg.appendChild(el('text', { x: l - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'tick' }, AC.fmtDuration(v)));
    }
    calls.forEach((c, i) => {
      const xPos = l + 2 + i * (bw + 2);
      const bar = el('rect', { x: xPos, y: Y(c.latency), width: bw, height: Math.max(1, h - b - Y(c.latency)), rx: 1.5, fill: c.error ? '#dc2626' : AC.roleColor(c.role), class: 'lat-bar' },
        el('title', {}, `${c.role} · ${c.action}\nlatency ${AC.fmtDuration(c.latency)}${c.first ? ' · first token ' + AC.fmtDuration(c.first) : ''}${c.error ? ' · error' : ''}`));
      bar.addEventListener('click', () => onPick && onPick(c.seq));
      svg.appendChild(bar);
    });
    svg.appendChild(el('text', { x: l, y: h - 6, class: 'tick' }, 'model calls in order →'));
    const mean = calls.length ? calls.reduce((a, c) => a + c.latency, 0) / calls.length : 0;
    const sorted = calls.map((c) => c.latency).sort((a, b) => a - b);
    const p95 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] : 0;
    return el('div', { class: 'figure' }, el('h3', {}, 'Model latency per call'), el('p', { class: 'muted small figure-note' }, `${calls.length} calls · mean ${AC.fmtDuration(mean)} · p95 ${AC.fmtDuration(p95)} · click a bar to jump there`), svg);
  }

  const noCost = (title) => el('div', { class: 'figure' }, el('h3', {}, title),
    el('p', { class: 'muted' }, 'No cost recorded: the model has no price in the pricing table (the mock is free), or no call has finished yet.'));

  AC.renderFigures = function (host, records, span, onPick) {
    const f = AC.computeFigures(records);
    const roles = f.roles.sort((a, b) => b.prompt + b.completion - (a.prompt + a.completion));
    const table = el('table', { class: 'grid-table' },
      el('thead', {}, el('tr', {}, ['role', 'calls', 'prompt tokens', 'completion tokens', 'cost', 'mean latency', 'errors'].map((h) => el('th', {}, h)))),
      el('tbody', {}, roles.map((r) => el('tr', {},
        el('td', {}, el('span', { class: 'dot', style: `background:${AC.roleColor(r.name)}` }), r.name),
        el('td', {}, r.calls), el('td', {}, AC.fmtNum(r.prompt) + (r.estimated ? '*' : '')), el('td', {}, AC.fmtNum(r.completion)),
        el('td', {}, AC.fmtCost(r.cost)), el('td', {}, AC.fmtDuration(r.calls ? r.latency / r.calls : NaN)), el('td', {}, r.errors || '')))));
    host.replaceChildren(
      el('div', { class: 'figures' },
        hbars('Tokens per role', roles, (r) => r.prompt + r.completion, (v, r) => `${AC.fmtNum(v)}  (${AC.fmtNum(r.prompt)} in · ${AC.fmtNum(r.completion)} out)`, [['prompt', 'light'], ['completion', '']]),
        f.cost > 0 ? hbars('Cost per role', roles, (r) => r.cost, (v) => AC.fmtCost(v)) : noCost('Cost per role'),
        lineChart('Tokens over time', f.series, 'tokens', AC.fmtNum, span),
        f.cost > 0 ? lineChart('Cost over time', f.series, 'cost', AC.fmtCost, span) : noCost('Cost over time'),
        latencyChart(f.calls, onPick),
        el('div', { class: 'figure wide' }, el('h3', {}, 'Per role'), table)));
  };
})();
