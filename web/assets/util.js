// Small helpers shared by the viewer's scripts: DOM building, formatting, colours, fetch.
'use strict';
const AC = (window.AC = window.AC || {});

// el('div', {class: 'x', onclick: f}, child, 'text', [more children])
AC.el = function el(tag, attrs, ...children) {
  const svg = ['svg', 'g', 'rect', 'line', 'text', 'title', 'path', 'circle', 'polyline', 'polygon'].includes(tag);
  const node = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'html') node.innerHTML = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  const add = (c) => {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) c.forEach(add);
    else node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  };
  children.forEach(add);
  return node;
};

AC.esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

AC.tsMs = (ts) => (ts ? Date.parse(ts) : NaN);
// When a record happened: imported runs keep the original time in "at" ("ts" is when the
// importer wrote the line).
AC.recMs = (r) => r._ms ?? AC.tsMs(r.at || r.ts);

AC.fmtDuration = function (s) {
  if (s === null || s === undefined || isNaN(s)) return '—';
  if (s === 0) return '0 s';
  if (s < 0.01) return `${(s * 1000).toFixed(s < 0.001 ? 3 : 1)} ms`;
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60), sec = Math.round(s % 60);
  if (m < 60) return `${m} min ${sec} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
};

// "+1:02.345" from seconds since the run started.
AC.fmtOffset = function (s) {
  if (!isFinite(s)) return '';
  const m = Math.floor(s / 60), rest = s - m * 60;
  return `+${m}:${rest.toFixed(3).padStart(6, '0')}`;
};

AC.fmtCost = (usd) => (usd === null || usd === undefined ? '—' : usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`);

AC.fmtNum = function (n) {
  if (n === null || n === undefined || isNaN(n)) return '—';
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Math.round(n).toLocaleString('en-US');
};

AC.fmtDate = function (iso) {
  const t = AC.tsMs(iso);
  if (isNaN(t)) return '—';
  const d = new Date(t);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

// A stable, distinct colour per role: the SOP's order first, then by name.
const PALETTE = ['#4f46e5', '#0891b2', '#d97706', '#059669', '#db2777', '#7c3aed', '#dc2626', '#65a30d', '#0d9488', '#9333ea'];
AC.roleColors = new Map();
AC.roleColor = function (name) {
  if (!name) return '#64748b';
  if (name === 'User' || name === 'Human') return '#64748b';
  if (!AC.roleColors.has(name)) AC.roleColors.set(name, PALETTE[AC.roleColors.size % PALETTE.length]);
  return AC.roleColors.get(name);
};

AC.api = async function (path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) {
    const error = new Error(response.status === 404 ? 'not found' : `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  const type = response.headers.get('content-type') || '';
  return type.includes('json') ? response.json() : response.text();
};

AC.verdictText = function (v) {
  if (!v || typeof v !== 'object') return '';
  const parts = [v.decision || ''];
  if (v.tests_passed !== undefined || v.tests_failed !== undefined) {
    const passed = v.tests_passed || 0, failed = v.tests_failed || 0;
    parts.push(`${passed}/${passed + failed} tests`);
  }
  return parts.filter(Boolean).join(' · ');
};
