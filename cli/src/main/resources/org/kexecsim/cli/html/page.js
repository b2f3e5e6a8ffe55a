// kexec-sim report pages: hover panel, timeline registers, zoomable address maps. No network.
"use strict";
(function () {
  const tip = document.getElementById("tip");
  function showTip(ev, text) {
    tip.textContent = text;
    tip.style.display = "block";
    const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = Math.min(ev.clientY + 14, window.innerHeight - tip.offsetHeight - 8);
    tip.style.left = Math.max(0, x) + "px";
    tip.style.top = Math.max(0, y) + "px";
  }
  function hideTip() { tip.style.display = "none"; }
  window.ksimTip = { show: showTip, hide: hideTip };
  document.addEventListener("mouseover", function (ev) {
    const el = ev.target.closest ? ev.target.closest("[data-tip]") : null;
    if (el) showTip(ev, el.getAttribute("data-tip"));
  });
  document.addEventListener("mouseout", function (ev) {
    if (ev.target.closest && ev.target.closest("[data-tip]")) hideTip();
  });

  function data(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function svgEl(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  // Timeline: the registers at each instruction, replayed from the recorded changes.
  const tl = data("timeline-data");
  if (tl) {
    const states = [];
    function stateAt(i) {
      if (states[i]) return states[i];
      const prev = i === 0 ? Object.assign({}, tl.initial) : Object.assign({}, stateAt(i - 1));
      if (i > 0) for (const c of tl.insns[i - 1].changes) prev[c[0]] = c[2];
      states[i] = prev;
      return prev;
    }
    function describe(i) {
      const n = tl.insns[i];
      const lines = ["#" + n.n + "  " + n.rip + "  " + n.asm, "bytes: " + n.bytes];
      for (const c of n.changes) lines.push("  " + c[0] + ": " + c[1] + " -> " + c[2]);
      for (const m of n.other) lines.push("  " + m);
      lines.push("registers before it:");
      const s = stateAt(i);
      const keys = tl.order.filter(function (k) { return k in s; });
      for (const k of keys) lines.push("  " + k + " = " + s[k]);
      return lines.join("\n");
    }
    const panel = document.getElementById("insn-detail");
    document.querySelectorAll(".tl rect.insn").forEach(function (r) {
      const i = Number(r.getAttribute("data-i"));
      r.addEventListener("mouseenter", function (ev) {
        const text = describe(i);
        showTip(ev, text);
        if (panel) panel.textContent = text;
        document.querySelectorAll(".tl rect.insn.sel").forEach(function (x) { x.classList.remove("sel"); });
        r.classList.add("sel");
      });
      r.addEventListener("mouseleave", hideTip);
    });
  }

  // Address maps: ranges drawn at the current zoom, merged per pixel so any size stays cheap.
  function hex(n) {
    return "0x" + BigInt(Math.round(n)).toString(16);
  }
  function fullHex(n, m) {
    let v = BigInt(Math.round(n));
    if (m.signExtend && v >= (1n << BigInt(m.bits - 1))) v += (1n << 64n) - (1n << BigInt(m.bits));
    return "0x" + v.toString(16);
  }
  function size(n) {
    const u = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let i = 0;
    while (n >= 1024 && i < u.length - 1 && n % 1024 === 0) { n /= 1024; i++; }
    if (n >= 1024 && i < u.length - 1) {
      while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
      return n.toFixed(1) + " " + u[i];
    }
    return n + " " + u[i];
  }
  function firstEndingAfter(items, x) {
    let lo = 0, hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid][1] <= x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  window.ksimMaps = {};
  document.querySelectorAll("[data-map]").forEach(function (host) {
    const m = data(host.getAttribute("data-map"));
    const W = 1000, H = 96, TOP = 8, BAR = 56;
    const minSpan = m.minSpan || 65536;
    let lo = m.lo, hi = m.hi;
    const bar = document.createElement("div");
    bar.className = "mapbar";
    host.appendChild(bar);
    function button(label, cls, fn) {
      const b = document.createElement("button");
      b.textContent = label;
      b.className = cls;
      b.type = "button";
      b.addEventListener("click", fn);
      bar.appendChild(b);
    }
    const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", class: "map" });
    host.appendChild(svg);
    const status = document.createElement("span");
    status.className = "view mono";
    button("whole", "zoom-all", function () { zoomTo(m.lo, m.hi); });
    button("zoom in", "zoom-in", function () { zoomAround((lo + hi) / 2, 0.25); });
    button("zoom out", "zoom-out", function () { zoomAround((lo + hi) / 2, 4); });
    bar.appendChild(status);
    function clamp(a, b) {
      let span = Math.max(b - a, minSpan);
      span = Math.min(span, m.hi - m.lo);
      a = Math.max(m.lo, Math.min(a, m.hi - span));
      return [a, a + span];
    }
    function zoomTo(a, b) {
      const c = clamp(a, b);
      lo = c[0]; hi = c[1];
      render();
    }
    function zoomAround(x, f) {
      const a = x - (x - lo) * f, b = x + (hi - x) * f;
      zoomTo(a, b);
    }
    function render() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      const scale = (hi - lo) / W;
      const px = function (a) { return (a - lo) / scale; };
      for (const s of m.spans) {
        if (s[1] <= lo || s[0] >= hi) continue;
        const x0 = Math.max(0, px(s[0])), x1 = Math.min(W, px(s[1]));
        const r = svgEl("rect", { x: x0, y: TOP, width: Math.max(0.5, x1 - x0), height: BAR, class: "ram" }, svg);
        svgEl("title", {}, r).textContent = s[2] + " " + fullHex(s[0], m) + "-" + fullHex(s[1], m) + " (" + size(s[1] - s[0]) + ")";
      }
      let run = null;
      const runs = [];
      for (let i = firstEndingAfter(m.items, lo); i < m.items.length && m.items[i][0] < hi; i++) {
        const it = m.items[i];
        const x0 = Math.max(0, Math.floor(px(it[0]))), x1 = Math.min(W, Math.max(Math.ceil(px(it[1])), x0 + 1));
        if (run && x0 < run.x1 && (run.k === it[2] || x1 <= run.x1)) {
          // within the run's pixels: one mark, the higher-priority kind shown
          run.x1 = Math.max(run.x1, x1);
          run.e = Math.max(run.e, it[1]);
          run.n += it[4] || 1;
          if (it[2] < run.k && run.x1 - run.x0 <= 1) { run.k = it[2]; run.d = it[3]; } // a wide mark keeps its own kind
          if (run.ds.indexOf(it[3]) < 0) run.ds.push(it[3]);
        } else {
          // a new mark; a wider item of another kind starts after the pixel it shares
          const from = run && x0 < run.x1 ? run.x1 : x0;
          run = { x0: from, x1: Math.max(x1, from + 1), s: it[0], e: it[1], k: it[2], d: it[3], ds: [it[3]], n: it[4] || 1 };
          runs.push(run);
        }
      }
      for (const r of runs) {
        const kind = m.kinds[r.k];
        const tags = r.ds.map(function (d) { return m.details[d]; });
        const rect = svgEl("rect", { x: r.x0, y: TOP, width: r.x1 - r.x0, height: BAR, class: "item k-" + kind.name,
          fill: kind.color, "data-kind": kind.name, "data-tags": tags.join(" | "), "data-start": fullHex(r.s, m),
          "data-end": fullHex(r.e, m), "data-count": r.n }, svg);
        svgEl("title", {}, rect).textContent = fullHex(r.s, m) + "-" + fullHex(r.e, m) + " " + size(r.e - r.s) +
          (r.n > 1 ? " (" + r.n + " ranges)" : "") + "\n" + tags.join("\n");
        rect.addEventListener("dblclick", function () { zoomTo(r.s - (r.e - r.s) / 4, r.e + (r.e - r.s) / 4); });
      }
      // axis: about eight ticks at a power-of-two step; page lines once pages are wide enough
      let step = 1;
      while ((hi - lo) / step > 8) step *= 2;
      for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) {
        const x = px(t);
        svgEl("line", { x1: x, x2: x, y1: TOP + BAR, y2: TOP + BAR + 6, class: "tick" }, svg);
        if (x > W - 150) continue; // the last labels would run off the map
        const label = svgEl("text", { x: Math.max(x, 2), y: TOP + BAR + 18, class: "tick-label" }, svg);
        label.textContent = fullHex(t, m);
      }
      const pages = (hi - lo) / 4096;
      if (pages <= 256) {
        for (let p = Math.ceil(lo / 4096) * 4096; p < hi; p += 4096) {
          svgEl("line", { x1: px(p), x2: px(p), y1: TOP, y2: TOP + BAR, class: "page-line" }, svg);
        }
      }
      status.textContent = "view " + fullHex(lo, m) + "-" + fullHex(hi, m) + " (" + size(hi - lo) +
        (pages <= 256 ? ", " + Math.round(pages) + " pages" : "") + "), " + runs.length + " marks";
      host.setAttribute("data-lo", fullHex(lo, m));
      host.setAttribute("data-hi", fullHex(hi, m));
      host.setAttribute("data-pages", String(pages));
    }
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      const rect = svg.getBoundingClientRect();
      const x = lo + (ev.clientX - rect.left) / rect.width * (hi - lo);
      zoomAround(x, ev.deltaY < 0 ? 0.5 : 2);
    }, { passive: false });
    let drag = null;
    svg.addEventListener("mousedown", function (ev) { drag = { x: ev.clientX, lo: lo, hi: hi }; });
    window.addEventListener("mouseup", function () { drag = null; });
    svg.addEventListener("mousemove", function (ev) {
      if (!drag) return;
      const rect = svg.getBoundingClientRect();
      const d = (ev.clientX - drag.x) / rect.width * (drag.hi - drag.lo);
      if (Math.abs(ev.clientX - drag.x) > 2) zoomTo(drag.lo - d, drag.hi - d);
    });
    window.ksimMaps[host.id] = { zoomTo: zoomTo, view: function () { return [lo, hi]; } };
    render();
  });
  document.querySelectorAll("[data-zoom]").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      const target = window.ksimMaps[a.getAttribute("data-zoom")];
      const s = Number(a.getAttribute("data-s")), e = Number(a.getAttribute("data-e"));
      const pad = Math.max((e - s) / 4, 8192);
      target.zoomTo(s - pad, e + pad);
    });
  });
  document.body.setAttribute("data-ready-ms", String(performance.now()));
  document.body.setAttribute("data-ready", "1");
})();
