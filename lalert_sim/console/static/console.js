// The drill console page: draws the scenario's layout once, then applies the server's batches
// (server-sent events, see console/protocol.py) once per animation frame. Nothing is done per
// event in the DOM: the log is virtual (only the rows in view exist), towns and nodes are painted
// on canvases (only those that changed, within a frame's budget), and the heavier drawings take turns.
"use strict";

(() => {
  const LOG_ROWS = 40; // rows in the page at once (those in view and a few more)
  const LOG_ROW_PX = 18; // height of one row (console.css .log .row)
  const LOG_KEPT = 5000; // events kept for filtering
  const CROWDED_NODES = 3000; // more nodes than this: smaller dots
  const DRAW_BUDGET_MS = 8; // longest a frame spends painting towns; the rest waits for the next frame
  const NODES_PER_FRAME = 2500; // most node dots one frame draws
  const STATUS_COLOURS = {
    idle: "#c8ccd1",
    reached: "#4a90d9",
    sounding: "#1a9e4a",
    failed: "#d7261e",
    down: "#222222",
  };
  const STATUS_ORDER = ["idle", "reached", "sounding", "failed", "down"];
  const COHORT_COLOURS = ["#1b1f24", "#4a90d9", "#e08a00", "#b0246a", "#1a9e4a", "#7a52c7"];
  const CURVE_PAD = { left: 40, right: 10, top: 10, bottom: 28 };

  const token = new URLSearchParams(window.location.search).get("token") || "";
  const $ = (id) => document.getElementById(id);

  let layout = null;
  let texts = {};
  const T = (key) => texts[key] || key;

  // What the page knows of the run; batches are queued and applied in the next frame.
  const state = {
    clock: { sim_s: 0, wall_s: 0, speed: 1, state: "ready" },
    clockAt: performance.now(), // when the last clock arrived
    events: [], // the latest LOG_KEPT events
    logShown: [], // those of them the log's filter lets through
    eventsTotal: 0,
    warned: [], // [{t, by_cohort}]
    channels: {},
    objectives: [],
    field: {},
    corrections: [],
    issued: new Set(),
    municipalities: {}, // code -> {warned, status}
    timings: {},
    snapshots: 0, // snapshots applied (one per connection)
    batches: 0,
  };
  const queue = [];
  const nodeIndex = new Map(); // node id -> index into the arrays below
  let nodeX = null;
  let nodeY = null;
  let nodeStatus = null; // Uint8Array of STATUS_ORDER indices
  const nationalItems = new Map(); // node id -> <li>
  const muniPaths = new Map(); // code -> <path>
  const muniShown = new Map(); // code -> [fill, status] as drawn
  const muniChanged = new Set(); // codes whose state changed since they were drawn
  const muniShapes = new Map(); // code -> Path2D of its outline (null: a small island drawn as a dot)
  const muniPoints = new Map(); // code -> [x, y]
  const neighbourShapes = []; // Path2D of the prefectures around the scenario's
  const nodesChanged = new Set(); // node indices to redraw
  let mapScale = 1; // canvas pixels per view-box unit
  const muniNames = new Map();
  const nodeNames = new Map(); // node id -> the name a person reads
  const fieldRows = new Map(); // field node -> <tr>
  const channelCells = new Map(); // channel -> <td>
  let logDirty = false;
  let logRebuild = false;
  let logScrolled = false;
  let nodesDirty = true;
  let curveDirty = true;
  let framePending = false;

  // ---- numbers and times ----------------------------------------------------------------

  function hms(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return `${h}:${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  }

  function speedText(speed) {
    return `${speed >= 10 ? speed.toFixed(0) : speed.toFixed(1)}×`;
  }

  function seconds(value) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "—";
    return value < 120 ? `${value.toFixed(1)} s` : `${(value / 60).toFixed(1)} min`;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  // ---- the layout: drawn once ------------------------------------------------------------

  function applyTexts() {
    document.documentElement.lang = layout.language;
    document.title = `${T("title")} — ${layout.name}`;
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = T(el.dataset.t);
    for (const el of document.querySelectorAll("[data-t-placeholder]")) el.placeholder = T(el.dataset.tPlaceholder);
  }

  function drawBanner() {
    document.body.classList.remove("banner-exercise", "banner-test", "banner-actual");
    document.body.classList.add(`banner-${layout.banner}`);
    document.body.classList.add(`mode-${layout.mode}`);
    const banner = $("banner");
    banner.textContent = T(`banner_${layout.banner}`);
    banner.dataset.banner = layout.banner;
    $("scenario-name").textContent = layout.name;
    $("run-mode").textContent = T(`mode_${layout.mode}`);
  }

  // The map is three layers: a canvas painted with the towns' colours (only the towns that change are
  // repainted), the SVG of the outlines on top (static: it is never repainted; it names the towns on hover
  // and takes clicks), and a canvas of the nodes (only the nodes that change are redrawn).
  function drawMap() {
    const svg = $("map-svg");
    const [x0, y0, w, h] = layout.view_box;
    svg.setAttribute("viewBox", `${x0} ${y0} ${w} ${h}`);
    svg.setAttribute("aria-label", T("map"));
    const front = [];
    for (const p of layout.prefectures) {
      if (!p.path) continue;
      const shape = new Path2D(p.path);
      if (!p.in_scenario) neighbourShapes.push(shape);
      front.push(`<path class="pref-front" d="${p.path}"/>`);
    }
    const towns = [];
    for (const m of layout.municipalities) {
      muniNames.set(m.code, m.name);
      muniShapes.set(m.code, m.path ? new Path2D(m.path) : null);
      muniPoints.set(m.code, [m.x, m.y]);
      const tip = `<title>${escapeHtml(m.name)}</title>`;
      towns.push(
        m.path
          ? `<path class="muni" data-code="${m.code}" data-status="idle" d="${m.path}">${tip}</path>`
          : `<circle class="muni" data-code="${m.code}" data-status="idle" cx="${m.x}" cy="${m.y}" r="3">${tip}</circle>`,
      );
    }
    $("municipalities").innerHTML = towns.join("");
    $("prefectures-front").innerHTML = front.join("");
    for (const el of $("municipalities").children) muniPaths.set(el.dataset.code, el);
    $("municipalities").addEventListener("mouseover", showTownTip);
    $("municipalities").addEventListener("click", (e) => {
      const code = e.target.dataset && e.target.dataset.code;
      if (!code) return;
      $("incident-type").value = "power";
      $("incident-target").value = code;
    });
  }

  function indexNodes() {
    const n = layout.nodes.length;
    nodeX = new Float32Array(n);
    nodeY = new Float32Array(n);
    nodeStatus = new Uint8Array(n);
    const national = [];
    layout.nodes.forEach((node, i) => {
      nodeIndex.set(node.id, i);
      nodeNames.set(node.id, node.name);
      nodeX[i] = node.x === null ? NaN : node.x;
      nodeY[i] = node.y === null ? NaN : node.y;
      if (node.x === null) national.push(`<li data-node="${escapeHtml(node.id)}" data-status="idle" title="${escapeHtml(node.id)}">${escapeHtml(node.name)}</li>`);
    });
    $("national-nodes").innerHTML = national.join("");
    for (const li of $("national-nodes").children) nationalItems.set(li.dataset.node, li);
  }

  // Both canvases cover the SVG exactly, in device pixels, with the view box's coordinates mapped on.
  function sizeCanvases() {
    const box = $("map-svg").getBoundingClientRect();
    if (!box.width) return;
    const ratio = window.devicePixelRatio || 1;
    const [, , w, h] = layout.view_box;
    const scale = Math.min(box.width / w, box.height / h) * ratio;
    for (const canvas of [$("map-canvas"), $("nodes-canvas")]) {
      canvas.style.width = `${box.width}px`;
      canvas.style.height = `${box.height}px`;
      canvas.width = Math.round(box.width * ratio);
      canvas.height = Math.round(box.height * ratio);
      const ctx = canvas.getContext("2d");
      ctx.setTransform(scale, 0, 0, scale, (canvas.width - w * scale) / 2, (canvas.height - h * scale) / 2);
    }
    mapScale = scale;
    paintWholeMap();
    for (let i = 0; i < nodeStatus.length; i++) nodesChanged.add(i);
    nodesDirty = true;
    requestFrame();
  }

  function paintWholeMap() {
    const ctx = $("map-canvas").getContext("2d");
    const [, , w, h] = layout.view_box;
    ctx.fillStyle = "#eaf1f7";
    ctx.fillRect(0, 0, w, h);
    ctx.fillStyle = "#dfe2e5";
    for (const shape of neighbourShapes) ctx.fill(shape, "evenodd");
    muniShown.clear();
    for (const code of muniPaths.keys()) muniChanged.add(code);
    drawMunicipalities();
  }

  function drawNodes() {
    const ctx = $("nodes-canvas").getContext("2d");
    // Dots of a few device pixels with a white rim; on a crowded map (nationwide) smaller, without rim.
    const crowded = nodeStatus.length > CROWDED_NODES;
    const size = (crowded ? 1.6 : 4.5) / mapScale;
    const rim = crowded ? 0 : 1 / mapScale;
    // The changed nodes in one path per colour (a white rim under each first): a few fill calls in all.
    const byStatus = STATUS_ORDER.map(() => []);
    ctx.fillStyle = "#ffffff";
    ctx.beginPath();
    let taken = 0;
    for (const i of nodesChanged) {
      nodesChanged.delete(i);
      if (++taken > NODES_PER_FRAME) {
        nodesChanged.add(i);
        break;
      }
      if (Number.isNaN(nodeX[i])) continue;
      if (rim) ctx.rect(nodeX[i] - size / 2 - rim, nodeY[i] - size / 2 - rim, size + 2 * rim, size + 2 * rim);
      byStatus[nodeStatus[i]].push(i);
    }
    if (rim) ctx.fill();
    byStatus.forEach((indices, s) => {
      if (!indices.length) return;
      ctx.fillStyle = STATUS_COLOURS[STATUS_ORDER[s]];
      ctx.beginPath();
      for (const i of indices) ctx.rect(nodeX[i] - size / 2, nodeY[i] - size / 2, size, size);
      ctx.fill();
    });
    nodesDirty = nodesChanged.size > 0;
  }

  function drawStaticPanels() {
    const alerts = layout.alerts.map((a) => `<option value="${escapeHtml(a.id)}">${escapeHtml(a.id)} (${escapeHtml(a.category_name || a.category)})</option>`);
    $("issue-alert").innerHTML = alerts.join("");
    $("channels").tBodies[0].innerHTML = layout.channels
      .map((c) => `<tr><th>${escapeHtml(c.name)}</th><td class="num" data-channel="${escapeHtml(c.id)}">0</td></tr>`)
      .join("");
    for (const td of $("channels").querySelectorAll("td[data-channel]")) channelCells.set(td.dataset.channel, td);
    const bound = layout.nodes.filter((n) => n.field_node);
    $("field-nodes").tBodies[0].innerHTML = bound.length
      ? bound
          .map(
            (n) =>
              `<tr data-field="${escapeHtml(n.field_node)}"><td title="${escapeHtml(n.name)}">${escapeHtml(n.field_node)}</td>` +
              `<td class="num latency">—</td><td class="outcome">—</td></tr>`,
          )
          .join("")
      : `<tr><td colspan="3" class="quiet">${escapeHtml(T("no_field_nodes"))}</td></tr>`;
    for (const tr of $("field-nodes").querySelectorAll("tr[data-field]")) fieldRows.set(tr.dataset.field, tr);
    $("warned-legend").innerHTML = layout.cohorts
      .map((c, i) => `<span><i style="background:${COHORT_COLOURS[i % COHORT_COLOURS.length]}"></i>${escapeHtml(c.name)}</span>`)
      .join("");
    drawObjectives();
    drawCorrections();
    const seek = $("seek");
    seek.max = String(Math.ceil(layout.until_s));
    $("speed-input").value = String(layout.speed);
  }

  function drawObjectives() {
    const known = new Map(state.objectives.map((o) => [o.name, o.met]));
    $("objectives").innerHTML = layout.objectives
      .map((o) => {
        const met = known.has(o.name) ? known.get(o.name) : null;
        const [cls, word] = met === true ? ["met", T("met")] : met === false ? ["not-met", T("not_met")] : ["", T("pending")];
        return `<li data-objective="${escapeHtml(o.name)}" data-met="${met}"><span class="badge ${cls}">${escapeHtml(word)}</span>${escapeHtml(o.name)}<br><span class="quiet">${escapeHtml(o.text)}</span></li>`;
      })
      .join("");
  }

  function drawCorrections() {
    const rows = state.corrections.map(
      (c) =>
        `<tr data-alert="${escapeHtml(c.alert)}" data-kind="${escapeHtml(c.kind)}"><td>${escapeHtml(c.alert)}</td><td>${escapeHtml(T(c.kind))}</td>` +
        `<td class="num t50" data-s="${c.t50_s ?? ""}">${seconds(c.t50_s)}</td><td class="num t95" data-s="${c.t95_s ?? ""}">${seconds(c.t95_s)}</td></tr>`,
    );
    $("corrections").tBodies[0].innerHTML = rows.length ? rows.join("") : `<tr><td colspan="4" class="quiet">${escapeHtml(T("no_corrections"))}</td></tr>`;
  }

  // ---- batches -----------------------------------------------------------------------------

  function reset() {
    state.events = [];
    state.logShown = [];
    state.eventsTotal = 0;
    state.warned = [];
    state.channels = {};
    state.objectives = [];
    state.field = {};
    state.corrections = [];
    state.issued = new Set();
    nodeStatus.fill(0);
    for (let i = 0; i < nodeStatus.length; i++) nodesChanged.add(i);
    nodesDirty = true;
    state.municipalities = {};
    for (const td of channelCells.values()) td.textContent = "0";
    for (const tr of fieldRows.values()) {
      tr.querySelector(".latency").textContent = "—";
      tr.querySelector(".outcome").textContent = "—";
    }
    curveDirty = true;
    for (const code of muniPaths.keys()) muniChanged.add(code);
    for (const li of nationalItems.values()) li.dataset.status = "idle";
    logRebuild = true;
  }

  function apply(batch) {
    if (batch.type === "snapshot") {
      reset();
      state.snapshots += 1;
    }
    state.batches += 1;
    if (batch.clock) {
      state.clock = batch.clock;
      state.clockAt = performance.now();
    }
    if (batch.events && batch.events.length) {
      for (const e of batch.events) if (e[1] === "issued" && e[3]) state.issued.add(e[3]);
      state.eventsTotal += batch.events.length;
      const kept = batch.events.length > LOG_KEPT ? batch.events.slice(-LOG_KEPT) : batch.events;
      state.events.push(...kept);
      if (state.events.length > LOG_KEPT) state.events.splice(0, state.events.length - LOG_KEPT);
      state.pendingLog = (state.pendingLog || 0) + kept.length;
      logDirty = true;
    }
    if (batch.nodes) {
      for (const id in batch.nodes) {
        const status = batch.nodes[id];
        const i = nodeIndex.get(id);
        if (i === undefined) continue;
        nodeStatus[i] = Math.max(0, STATUS_ORDER.indexOf(status));
        nodesChanged.add(i);
        const li = nationalItems.get(id);
        if (li) li.dataset.status = status;
        nodesDirty = true;
      }
    }
    if (batch.municipalities) {
      for (const code in batch.municipalities) {
        if (!muniPaths.has(code)) continue;
        const m = batch.municipalities[code];
        state.municipalities[code] = m;
        muniChanged.add(code);
      }
    }
    if (batch.warned && batch.warned.length) {
      state.warned.push(...batch.warned);
      curveDirty = true;
    }
    if (batch.channels) {
      for (const ch in batch.channels) {
        state.channels[ch] = batch.channels[ch];
        const td = channelCells.get(ch);
        if (td) td.textContent = batch.channels[ch].toLocaleString();
      }
    }
    if (batch.objectives) {
      const changed = JSON.stringify(batch.objectives) !== JSON.stringify(state.objectives);
      state.objectives = batch.objectives;
      if (changed) drawObjectives();
    }
    if (batch.field) {
      for (const id in batch.field) {
        const f = batch.field[id];
        state.field[id] = f;
        const tr = fieldRows.get(id);
        if (!tr) continue;
        tr.dataset.outcome = f.outcome;
        tr.dataset.latencyMs = f.latency_ms ?? "";
        tr.querySelector(".latency").textContent = f.latency_ms === null || f.latency_ms === undefined ? "—" : `${f.latency_ms.toFixed(1)} ms`;
        tr.querySelector(".outcome").textContent = f.outcome;
      }
    }
    if (batch.corrections) {
      const changed = JSON.stringify(batch.corrections) !== JSON.stringify(state.corrections);
      state.corrections = batch.corrections;
      if (changed) drawCorrections();
    }
  }

  // Only what changed, and only when its colour or status did, within the frame's budget.
  function drawMunicipalities() {
    const ctx = $("map-canvas").getContext("2d");
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 0.6;
    ctx.lineJoin = "round";
    const until = performance.now() + DRAW_BUDGET_MS;
    let drawn = 0;
    for (const code of muniChanged) {
      muniChanged.delete(code);
      // Within a time budget: what is left waits for the next frame (checked every few towns).
      if (++drawn % 16 === 0 && performance.now() > until) {
        muniChanged.add(code);
        break;
      }
      const m = state.municipalities[code] || { status: "idle", warned: 0 };
      const fill = muniColour(m.status, m.warned);
      const shown = muniShown.get(code);
      if (shown && shown[0] === fill && shown[1] === m.status) continue;
      const shape = muniShapes.get(code);
      ctx.fillStyle = fill;
      if (shape) {
        ctx.fill(shape, "evenodd");
        ctx.stroke(shape);
      } else {
        const [x, y] = muniPoints.get(code);
        ctx.beginPath();
        ctx.arc(x, y, 3, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
      if (!shown || shown[1] !== m.status) muniPaths.get(code).dataset.status = m.status;
      muniShown.set(code, [fill, m.status]);
    }
  }

  // A town's name and share warned, written into its tooltip only when the pointer is on it.
  function showTownTip(event) {
    const code = event.target.dataset && event.target.dataset.code;
    if (!code) return;
    const m = state.municipalities[code];
    const share = m ? `${(100 * m.warned).toFixed(1)} %` : "0.0 %";
    event.target.firstChild.textContent = `${muniNames.get(code)}: ${T("warned_now")} ${share}`;
    event.target.dataset.warned = m ? String(m.warned) : "0";
  }

  // Municipalities: grey until reached, blue when the alert arrived, green deepening with the share warned.
  function muniColour(status, warned) {
    if (status === "failed") return STATUS_COLOURS.failed;
    if (status === "down") return "#555555";
    if (status === "idle" && !(warned > 0)) return STATUS_COLOURS.idle;
    if (status === "reached" && !(warned > 0)) return "#9cc3ea";
    const share = Math.round(20 * Math.min(1, Math.max(0, warned || 0))) / 20; // 21 shades: fewer repaints
    const from = [199, 233, 192];
    const to = [0, 109, 44];
    const c = from.map((f, k) => Math.round(f + share * (to[k] - f)));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  // ---- per frame ---------------------------------------------------------------------------

  const PACE_MS = { map: 200, nodes: 250, log: 200, curve: 500 };
  const lastDrawn = {};
  const HEAVY = ["map", "nodes", "log", "curve"];
  const backlog = {}; // a drawing that ran out of its frame's budget
  let lastHeavy = HEAVY.length - 1;
  const DRAW = {
    map: () => drawMunicipalities(),
    nodes: () => drawNodes(),
    log: () => drawLog(),
    curve: () => drawCurve(),
  };
  let laterPending = false;

  function requestFrameLater() {
    if (laterPending) return;
    laterPending = true;
    setTimeout(() => {
      laterPending = false;
      requestFrame();
    }, 50);
  }

  function requestFrame() {
    if (!framePending) {
      framePending = true;
      requestAnimationFrame(frame);
    }
  }

  function frame() {
    framePending = false;
    if (!layout) return;
    const t = state.timings;
    let t0 = performance.now();
    const lap = (name) => { const now = performance.now(); t[name] = Math.max(t[name] || 0, now - t0); t0 = now; };
    while (queue.length) apply(queue.shift());
    lap("apply");
    // The heavier drawings each at their own pace, at most one of them per frame and in turn, so no frame
    // runs long; one that ran out of its budget carries on in the next frame, whatever its pace.
    const now = performance.now();
    const wanted = {
      map: muniChanged.size > 0,
      nodes: nodesDirty,
      log: logDirty || logRebuild,
      curve: curveDirty,
    };
    let heavy = null;
    for (let k = 1; k <= HEAVY.length && !heavy; k++) {
      const name = HEAVY[(lastHeavy + k) % HEAVY.length];
      const due = backlog[name] || (name === "log" && logRebuild) || now - (lastDrawn[name] || 0) >= PACE_MS[name];
      if (wanted[name] && due) heavy = name;
    }
    if (logScrolled && heavy !== "log") {
      drawLogRows();
      logScrolled = false;
      lap("scroll");
    }
    if (heavy) {
      DRAW[heavy]();
      lastHeavy = HEAVY.indexOf(heavy);
      backlog[heavy] = heavy === "map" ? muniChanged.size > 0 : heavy === "nodes" ? nodesChanged.size > 0 : false;
      if (!backlog[heavy]) lastDrawn[heavy] = now;
      lap(heavy);
    }
    drawClock();
    lap("clock");
    updateButtons();
    lap("buttons");
    if (muniChanged.size || nodesDirty || logDirty || curveDirty) requestFrameLater();
  }

  function simNow() {
    const c = state.clock;
    if (c.state !== "running") return c.sim_s;
    const ahead = ((performance.now() - state.clockAt) / 1000) * c.speed;
    return Math.min(c.sim_s + Math.min(ahead, 2 * c.speed), layout.until_s);
  }

  // Written only when what they show changes: most frames touch nothing here.
  const written = new Map();
  function put(id, value, attribute) {
    const key = attribute ? `${id}@${attribute}` : id;
    if (written.get(key) === value) return;
    written.set(key, value);
    const el = $(id);
    if (attribute === "disabled") el.disabled = value;
    else if (attribute === "value") el.value = value;
    else if (attribute) el.dataset[attribute] = value;
    else el.textContent = value;
  }

  let wallFormat = null;
  function drawClock() {
    const c = state.clock;
    put("sim-clock", hms(simNow()));
    put("sim-clock", String(c.sim_s), "simS");
    if (!wallFormat) wallFormat = new Intl.DateTimeFormat(layout.language === "ja" ? "ja-JP" : "en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    put("wall-clock", wallFormat.format(new Date()));
    put("speed", speedText(c.speed));
    put("speed", String(c.speed), "speed");
    put("state", c.state, "state");
    put("state", T(`state_${c.state}`));
    if (document.activeElement !== $("seek")) put("seek", String(Math.round(c.sim_s)), "value");
  }

  function updateButtons() {
    const s = state.clock.state;
    put("btn-start", s !== "ready", "disabled");
    put("btn-pause", s !== "running", "disabled");
    put("btn-resume", s !== "paused", "disabled");
    put("btn-play", s === "running" || s === "ended", "disabled");
    const live = s === "running" || s === "paused";
    for (const id of ["btn-issue", "btn-cap", "btn-incident"]) put(id, !live, "disabled");
    const select = $("correct-alert");
    if (select.options.length !== state.issued.size) {
      const issued = [...state.issued];
      const chosen = select.value;
      select.innerHTML = issued.map((a) => `<option value="${escapeHtml(a)}">${escapeHtml(a)}</option>`).join("");
      if (issued.includes(chosen)) select.value = chosen;
    }
    put("btn-update", !live || !state.issued.size, "disabled");
    put("btn-cancel", !live || !state.issued.size, "disabled");
  }

  // The log is virtual: the matching events are kept in an array (newest last) and only the rows in view
  // exist in the page (a few dozen), so a batch of a thousand events costs the same as one.
  function logMatcher() {
    const filter = $("log-filter").value.trim().toLowerCase();
    const kind = $("log-kind").value;
    return (e) =>
      (!kind || e[1] === kind) &&
      (!filter || `${e[1]} ${eventWord(e[1])} ${e[2]} ${subjectName(e[2])} ${e[3]} ${e[4]}`.toLowerCase().includes(filter));
  }

  function drawLog() {
    const scroller = $("log-scroll");
    const matches = logMatcher();
    let added = 0;
    if (logRebuild) {
      state.logShown = state.events.filter(matches);
    } else {
      const fresh = state.events.slice(state.events.length - Math.min(state.pendingLog || 0, state.events.length));
      for (const e of fresh) if (matches(e)) state.logShown.push(e), added++;
      if (state.logShown.length > LOG_KEPT) state.logShown.splice(0, state.logShown.length - LOG_KEPT);
    }
    // Someone reading older rows keeps them in place while new ones arrive above.
    if (added && scroller.scrollTop > 0) scroller.scrollTop += added * LOG_ROW_PX;
    state.pendingLog = 0;
    logDirty = false;
    logRebuild = false;
    drawLogRows();
    put("log-count", T("log_shown").replace("{shown}", state.logShown.length.toLocaleString()).replace("{total}", state.eventsTotal.toLocaleString()));
    put("log-count", String(state.eventsTotal), "total");
    updateKinds();
  }

  function drawLogRows() {
    const scroller = $("log-scroll");
    const shown = state.logShown;
    const first = Math.floor(scroller.scrollTop / LOG_ROW_PX);
    const count = Math.min(LOG_ROWS, Math.max(0, shown.length - first));
    const rows = [];
    for (let r = first; r < first + count; r++) {
      const e = shown[shown.length - 1 - r];
      rows.push(
        `<div class="row ${escapeHtml(e[1])}"><span>${hms(e[0])}</span><span>${escapeHtml(eventWord(e[1]))}</span>` +
          `<span title="${escapeHtml(e[2])}">${escapeHtml(subjectName(e[2]))}</span><span>${escapeHtml(e[3])}</span><span>${escapeHtml(e[4])}</span></div>`,
      );
    }
    $("log-spacer").style.height = `${shown.length * LOG_ROW_PX}px`;
    const body = $("log-rows");
    body.style.transform = `translateY(${first * LOG_ROW_PX}px)`;
    body.innerHTML = rows.join("");
  }

  function eventWord(kind) {
    return texts[`event_${kind}`] || kind;
  }

  function subjectName(id) {
    return nodeNames.get(id) || muniNames.get(id) || id;
  }

  const kindsSeen = new Set();
  function updateKinds() {
    const select = $("log-kind");
    for (const e of state.events.slice(-500)) {
      if (kindsSeen.has(e[1])) continue;
      kindsSeen.add(e[1]);
      const option = document.createElement("option");
      option.value = e[1];
      option.textContent = eventWord(e[1]);
      select.appendChild(option);
    }
  }

  function drawCurve() {
    const canvas = $("warned-canvas");
    const ctx = canvas.getContext("2d");
    const w = canvas.width;
    const h = canvas.height;
    const plotW = w - CURVE_PAD.left - CURVE_PAD.right;
    const plotH = h - CURVE_PAD.top - CURVE_PAD.bottom;
    ctx.clearRect(0, 0, w, h);
    const points = state.warned;
    const last = points.length ? points[points.length - 1].t : 0;
    const span = niceSpan(Math.max(60, last * 1.1));
    const x = (t) => CURVE_PAD.left + (t / span) * plotW;
    const y = (f) => CURVE_PAD.top + (1 - f) * plotH;
    ctx.strokeStyle = "#d5dae0";
    ctx.fillStyle = "#5b6470";
    ctx.font = "10px sans-serif";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const f of [0, 0.25, 0.5, 0.75, 1]) {
      ctx.moveTo(CURVE_PAD.left, y(f));
      ctx.lineTo(w - CURVE_PAD.right, y(f));
      ctx.fillText(`${f * 100}%`, 4, y(f) + 3);
    }
    for (let k = 0; k <= 4; k++) {
      const t = (span * k) / 4;
      ctx.moveTo(x(t), CURVE_PAD.top);
      ctx.lineTo(x(t), CURVE_PAD.top + plotH);
      ctx.textAlign = k === 0 ? "left" : k === 4 ? "right" : "center";
      ctx.fillText(hms(t), x(t), h - 10);
    }
    ctx.stroke();
    ctx.textAlign = "left";
    layout.cohorts.forEach((cohort, i) => {
      ctx.strokeStyle = COHORT_COLOURS[i % COHORT_COLOURS.length];
      ctx.lineWidth = i === 0 ? 2.2 : 1.4;
      ctx.beginPath();
      let started = false;
      for (const p of points) {
        const f = p.by_cohort[cohort.id];
        if (f === undefined) continue;
        if (started) ctx.lineTo(x(p.t), y(f));
        else ctx.moveTo(x(p.t), y(f));
        started = true;
      }
      ctx.stroke();
    });
    const latest = points.length ? points[points.length - 1].by_cohort : {};
    canvas.dataset.points = String(points.length);
    canvas.dataset.latest = JSON.stringify(latest);
    curveDirty = false;
  }

  function niceSpan(seconds) {
    for (const step of [60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400]) if (seconds <= step) return step;
    return Math.ceil(seconds / 86400) * 86400;
  }

  // ---- controls ------------------------------------------------------------------------------

  const ACTION_WORDS = {
    start: "start",
    pause: "pause",
    resume: "resume",
    speed: "set_speed",
    seek: "seek",
    issue: "issue_now",
    cap: "cap_now",
    incident: "incident_now",
    update: "update",
    cancel: "cancel",
  };

  async function control(body) {
    const status = $("control-status");
    const what = T(ACTION_WORDS[body.action] || body.action);
    try {
      const reply = await fetch("/api/control", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      const answer = await reply.json().catch(() => ({ ok: false, error: `HTTP ${reply.status}` }));
      if (reply.ok && answer.ok) {
        status.classList.remove("refused");
        status.textContent = `${what}: ${T("done").replace("{time}", hms(answer.sim_s ?? state.clock.sim_s))}`;
      } else {
        status.classList.add("refused");
        status.textContent = `${what}: ${T("refused").replace("{error}", answer.error || `HTTP ${reply.status}`)}`;
      }
      status.dataset.ok = String(Boolean(reply.ok && answer.ok));
      return answer;
    } catch (error) {
      status.classList.add("refused");
      status.textContent = `${what}: ${T("refused").replace("{error}", String(error))}`;
      status.dataset.ok = "false";
      return { ok: false, error: String(error) };
    }
  }

  function speedValue(raw) {
    const v = Number(raw);
    return Number.isFinite(v) ? Math.min(100, Math.max(0.1, v)) : 1;
  }

  function incidentBody() {
    const type = $("incident-type").value;
    const target = $("incident-target").value.trim();
    const duration = Number($("incident-duration").value);
    const body =
      type === "power"
        ? { action: "incident", type: "power_outage", area: target }
        : { action: "incident", type: "outage", [type === "node" ? "nodes" : "links"]: { ids: [target] } };
    if (duration > 0) body.end_s = duration; // counted from now (model/actions.py)
    return body;
  }

  function correctionBody(action) {
    const body = { action, alert: $("correct-alert").value };
    const headline = $("correct-headline").value.trim();
    if (headline) body.headline = headline;
    return body;
  }

  function suggestTargets() {
    const typed = $("incident-target").value.trim().toLowerCase();
    const type = $("incident-type").value;
    const found = [];
    if (typed.length >= 2) {
      const pool = type === "power" ? layout.municipalities.map((m) => [m.code, m.name]) : type === "node" ? layout.nodes.map((n) => [n.id, n.name]) : (layout.links || []).map((l) => [l.id, l.medium || ""]);
      for (const [id, name] of pool) {
        if (id.toLowerCase().includes(typed) || String(name).toLowerCase().includes(typed)) found.push(`<option value="${escapeHtml(id)}">${escapeHtml(name)}</option>`);
        if (found.length >= 40) break;
      }
    }
    $("incident-targets").innerHTML = found.join("");
  }

  function wireControls() {
    $("btn-start").addEventListener("click", () => control({ action: "start" }));
    $("btn-pause").addEventListener("click", () => control({ action: "pause" }));
    $("btn-resume").addEventListener("click", () => control({ action: "resume" }));
    $("btn-play").addEventListener("click", () => control({ action: state.clock.state === "ready" ? "start" : "resume" }));
    $("btn-speed").addEventListener("click", () => control({ action: "speed", speed: speedValue($("speed-input").value) }));
    for (const b of document.querySelectorAll("button.preset")) {
      b.addEventListener("click", () => {
        $("speed-input").value = b.dataset.speed;
        control({ action: "speed", speed: Number(b.dataset.speed) });
      });
    }
    $("seek").addEventListener("change", (e) => control({ action: "seek", sim_s: Number(e.target.value) }));
    $("btn-issue").addEventListener("click", () => control({ action: "issue", alert: $("issue-alert").value }));
    $("btn-cap").addEventListener("click", async () => {
      const file = $("cap-file").files[0];
      if (!file) return;
      control({ action: "cap", name: file.name, content: await file.text() });
    });
    $("btn-incident").addEventListener("click", () => control(incidentBody()));
    $("incident-target").addEventListener("input", suggestTargets);
    $("btn-update").addEventListener("click", () => control(correctionBody("update")));
    $("btn-cancel").addEventListener("click", () => control(correctionBody("cancel")));
    $("log-filter").addEventListener("input", () => {
      logRebuild = true;
      requestFrame();
    });
    $("log-scroll").addEventListener("scroll", () => {
      logScrolled = true;
      requestFrame();
    });
    $("log-kind").addEventListener("change", () => {
      logRebuild = true;
      requestFrame();
    });
  }

  // ---- start ---------------------------------------------------------------------------------

  function listen() {
    const source = new EventSource(`/api/stream?token=${encodeURIComponent(token)}`);
    source.onmessage = (message) => {
      const started = performance.now();
      queue.push(JSON.parse(message.data));
      state.timings.parse = Math.max(state.timings.parse || 0, performance.now() - started);
      $("connection").hidden = true;
      requestFrame();
    };
    source.onerror = () => {
      if (state.clock.state !== "ended") $("connection").hidden = false;
    };
  }

  async function start() {
    const reply = await fetch("/api/scenario", { headers: { Authorization: `Bearer ${token}` } });
    layout = await reply.json();
    texts = layout.texts || {};
    state.until_s = layout.until_s;
    applyTexts();
    drawBanner();
    drawMap();
    indexNodes();
    drawStaticPanels();
    wireControls();
    new ResizeObserver(sizeCanvases).observe($("map-svg"));
    sizeCanvases();
    // The clock keeps moving between batches: one frame a second at least (the wall clock too).
    setInterval(requestFrame, 250);
    document.body.dataset.ready = "true";
    listen();
  }

  window.consoleState = state; // for the benchmark and the tests: what the page has applied
  start();
})();
