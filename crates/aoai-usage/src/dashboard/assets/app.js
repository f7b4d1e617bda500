// The aoai-meter dashboard. It fetches JSON from /api/usage on the same origin and draws the
// tiles, tables and SVG charts itself, so the page needs no other host and no build step.
"use strict";

(() => {
  const $ = (selector) => document.querySelector(selector);
  const SVG = "http://www.w3.org/2000/svg";
  const COLORS = ["#0969da", "#1a7f37", "#bf8700", "#8250df", "#cf222e", "#1b7c83", "#9a6700", "#6e7781"];
  const TOP = 15;

  const url = new URLSearchParams(location.search);
  // The Functions key (code) or, through API Management, the subscription key (subscription-key)
  // that opened the page; each data request carries it on.
  const keys = [["code", url.get("code")], ["subscription-key", url.get("subscription-key")]]
    .filter(([, value]) => value);
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const RANGES = ["this-month", "last-month", "7d", "30d", "custom"];
  const pick = (value, allowed, fallback) => (allowed.includes(value) ? value : fallback);
  const state = {
    range: pick(url.get("range"), RANGES, "this-month"),
    from: url.get("from") || "",
    to: url.get("to") || "",
    tz: url.get("tz") || browserZone,
    currency: url.get("currency") || "",
    source: url.get("source") || "otel",
    q: url.get("q") || "",
    refresh: url.get("refresh") === "on",
    sort: url.get("sort") || "cost",
    dir: pick(url.get("dir"), ["asc", "desc"], "desc"),
    stack: url.get("stack") === "deployment_type" ? "deployment_type" : "model",
  };
  // Stale responses of an earlier load are dropped; only the newest load draws.
  let generation = 0;
  const OTHERS = "\u0000others";
  let timer = null;
  let lastUsers = null;

  const validZone = (tz) => {
    try {
      new Intl.DateTimeFormat("en-CA", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  };
  if (!validZone(state.tz)) state.tz = browserZone;

  // Dates are YYYY-MM-DD strings of the chosen zone; day arithmetic runs on UTC dates.
  const today = (tz) => new Intl.DateTimeFormat("en-CA", { timeZone: tz }).format(new Date());
  const shift = (date, days) => {
    const [y, m, d] = date.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
  };
  const monthStart = (date, months) => {
    const [y, m] = date.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1 + months, 1)).toISOString().slice(0, 10);
  };
  function period() {
    const now = today(state.tz);
    switch (state.range) {
      case "last-month": return [monthStart(now, -1), monthStart(now, 0)];
      case "7d": return [shift(now, -6), shift(now, 1)];
      case "30d": return [shift(now, -29), shift(now, 1)];
      case "custom": return [state.from || monthStart(now, 0), state.to || shift(now, 1)];
      default: return [monthStart(now, 0), monthStart(now, 1)];
    }
  }

  function query(extra, users) {
    const [from, to] = period();
    const search = new URLSearchParams({ from, to, tz: state.tz, source: state.source });
    if (state.currency) search.set("currency", state.currency.toUpperCase());
    for (const [name, value] of Object.entries(extra)) search.set(name, value);
    for (const user of users || []) search.append("user", user);
    for (const [name, value] of keys) search.set(name, value);
    return "usage?" + search.toString();
  }

  async function get(address) {
    const response = await fetch(address, { headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const message = body && body.error ? body.error.message : response.statusText;
      throw new Error(`HTTP ${response.status}: ${message}`);
    }
    return body;
  }

  // Money stays a decimal string; numbers are formatted for display only.
  const money = (value) => {
    if (value === null || value === undefined) return "unpriced";
    const number = Number(value);
    const digits = Math.abs(number) >= 1 ? 2 : 6;
    return number.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: digits });
  };
  const count = (value) => Number(value).toLocaleString("en-US");
  const element = (tag, attributes, text) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };

  function setStatus(kind, text) {
    const status = $("#status");
    status.dataset.state = kind;
    status.textContent = text;
  }

  function writeControls() {
    $("#range").value = state.range;
    const [from, to] = period();
    $("#from").value = from;
    $("#to").value = to;
    $("#from").disabled = $("#to").disabled = state.range !== "custom";
    $("#tz").value = state.tz;
    $("#currency").value = state.currency;
    $("#source").value = state.source;
    $("#q").value = state.q;
    $("#refresh").checked = state.refresh;
    $("#stack").value = state.stack;
  }

  function readControls() {
    state.range = $("#range").value;
    state.from = $("#from").value;
    state.to = $("#to").value;
    const zone = $("#tz").value.trim() || browserZone;
    if (!validZone(zone)) throw new Error(`unknown time zone '${zone}'; use an IANA name such as Europe/Paris`);
    state.tz = zone;
    state.currency = $("#currency").value.trim();
    state.source = $("#source").value;
    state.q = $("#q").value.trim();
    state.refresh = $("#refresh").checked;
    state.stack = $("#stack").value;
  }

  // The view is kept in the address, so it can be shared.
  function writeAddress() {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(state)) {
      if (name === "refresh") { if (value) search.set(name, "on"); continue; }
      if ((name === "from" || name === "to") && state.range !== "custom") continue;
      if (value) search.set(name, value);
    }
    for (const [name, value] of keys) search.set(name, value);
    history.replaceState(null, "", "?" + search.toString());
  }

  function tiles(body) {
    const box = $("#tiles");
    box.replaceChildren();
    const total = body.total;
    // Calls without a user are one row of the table but no user.
    const users = body.rows.filter((row) => row.user !== "(unattributed)").length;
    const items = [
      ["cost", `Cost (${body.currency})`, total.cost, money(total.cost) + (total.priced ? "" : " *")],
      ["requests", "Requests", total.requests, count(total.requests)],
      ["input", "Input tokens", total.input_tokens, count(total.input_tokens)],
      ["cached", "Cached input tokens", total.cached_input_tokens, count(total.cached_input_tokens)],
      ["output", "Output tokens", total.output_tokens, count(total.output_tokens)],
      ["reasoning", "Reasoning tokens", total.reasoning_tokens, count(total.reasoning_tokens)],
      ["users", "Users", users, count(users)],
    ];
    for (const [name, label, value, shown] of items) {
      const tile = element("div", { class: "tile", id: `tile-${name}`, "data-value": value === null ? "" : String(value) });
      tile.append(element("div", { class: "label" }, label), element("div", { class: "value" }, shown));
      box.append(tile);
    }
  }

  const MEANINGS = {
    unpriced: "calls without a price (unknown model or deployment, no meter, or provisioned); their tokens are shown, their cost is not",
    rejected: "telemetry with impossible counts, left out",
    unattributed: "calls without a user, shown as (unattributed)",
    assumed: "calls priced on an assumption: a deployment not in the catalog, or a call older than its first known price",
    estimated: "calls whose tokens are estimated: sampled telemetry scaled up, or streamed calls counted by the gateway",
    usage_missing: "model calls whose telemetry carried no usage",
  };

  function quality(body) {
    const box = $("#quality");
    const q = body.data_quality;
    const counts = {
      unpriced: body.unpriced.requests,
      rejected: q.rejected,
      unattributed: q.unattributed,
      assumed: q.assumed,
      estimated: q.estimated,
      usage_missing: q.usage_missing,
    };
    const list = element("ul");
    for (const [name, value] of Object.entries(counts)) {
      if (Number(value) > 0) list.append(element("li", { "data-kind": name }, `${count(value)} ${MEANINGS[name]}`));
    }
    if (q.partial) list.append(element("li", { "data-kind": "partial" }, `partial result: ${q.partial_message || "the source returned part of the data"}`));
    box.replaceChildren(element("strong", {}, "Data quality"), list);
    box.hidden = list.children.length === 0;
  }

  const COLUMNS = [
    ["user", "User", (row) => row.user, false],
    ["display_name", "Name", (row) => row.display_name || "", false],
    ["requests", "Requests", (row) => row.requests, true],
    ["input_tokens", "Input", (row) => row.input_tokens, true],
    ["cached_input_tokens", "Cached", (row) => row.cached_input_tokens, true],
    ["output_tokens", "Output", (row) => row.output_tokens, true],
    ["reasoning_tokens", "Reasoning", (row) => row.reasoning_tokens, true],
    ["cost_input", "Input cost", (row) => row.cost_input, true],
    ["cost_cached_input", "Cached cost", (row) => row.cost_cached_input, true],
    ["cost_output", "Output cost", (row) => row.cost_output, true],
    ["cost", "Cost", (row) => row.cost, true],
    ["share", "Share", (row) => row.share, true],
  ];

  function table(body) {
    const totalCost = Number(body.total.cost || 0);
    const rows = body.rows.map((row) => ({ ...row, share: totalCost > 0 ? Number(row.cost || 0) / totalCost : 0 }));
    const column = COLUMNS.find(([name]) => name === state.sort) || COLUMNS[10];
    rows.sort((a, b) => {
      const [x, y] = [column[2](a), column[2](b)];
      const order = column[3] ? Number(x || 0) - Number(y || 0) : String(x).localeCompare(String(y));
      return state.dir === "asc" ? order : -order;
    });
    const head = $("#users thead tr");
    head.replaceChildren();
    for (const [name, label] of COLUMNS) {
      let sorted = "none";
      if (name === state.sort) sorted = state.dir === "asc" ? "ascending" : "descending";
      const th = element("th", { scope: "col", "aria-sort": sorted, "data-column": name });
      const button = element("button", { type: "button" }, label);
      button.addEventListener("click", () => {
        state.dir = state.sort === name && state.dir === "desc" ? "asc" : "desc";
        state.sort = name;
        writeAddress();
        table(lastUsers);
      });
      th.append(button);
      head.append(th);
    }
    const bodyRows = $("#users tbody");
    bodyRows.replaceChildren();
    for (const row of rows) {
      const tr = element("tr", { "data-user": row.user, "data-cost": row.cost === null ? "" : row.cost });
      const user = element("button", { type: "button", "aria-label": `Breakdown of ${row.user}` }, row.user);
      user.addEventListener("click", () => detail(row.user));
      tr.append(element("td"), element("td", {}, row.display_name || ""));
      tr.firstChild.append(user);
      for (const name of ["requests", "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens"]) {
        tr.append(element("td", {}, count(row[name])));
      }
      for (const name of ["cost_input", "cost_cached_input", "cost_output", "cost"]) {
        tr.append(element("td", {}, money(row[name]) + (row.priced ? "" : " *")));
      }
      tr.append(element("td", {}, (row.share * 100).toFixed(1) + " %"));
      bodyRows.append(tr);
    }
  }

  async function detail(user) {
    try {
      const [models, days] = await Promise.all([
        get(query({ group_by: "model,deployment" }, [user])),
        get(query({ group_by: "day" }, [user])),
      ]);
      const known = lastUsers && lastUsers.rows.find((row) => row.user === user);
      $("#detail-title").textContent = `Breakdown of ${known && known.display_name ? `${known.display_name} (${user})` : user}`;
      const fill = (selector, rows, cells) => {
        const tbody = $(selector + " tbody");
        tbody.replaceChildren();
        for (const row of rows) {
          const tr = element("tr");
          for (const cell of cells(row)) tr.append(element("td", {}, cell));
          tbody.append(tr);
        }
      };
      fill("#detail-models", models.rows, (row) => [row.model, row.deployment, count(row.requests), money(row.cost)]);
      fill("#detail-days", days.rows, (row) => [row.day, count(row.requests), money(row.cost)]);
      $("#detail").hidden = false;
      $("#detail").scrollIntoView({ block: "nearest" });
    } catch (error) {
      setStatus("error", `The breakdown of ${user} failed: ${error.message}`);
    }
  }

  // Stacked bars: one bar per key, one segment per series; keys past the top N are summed as "others".
  function stacked(container, rows, keyOf, seriesOf, options) {
    const names = new Map(rows.map((row) => [keyOf(row), row.display_name || keyOf(row)]));
    const totals = new Map();
    for (const row of rows) totals.set(keyOf(row), (totals.get(keyOf(row)) || 0) + Number(row.cost || 0));
    let keys = [...totals.keys()];
    if (options.byCost) keys.sort((a, b) => totals.get(b) - totals.get(a));
    else keys.sort();
    const hidden = keys.length > TOP && options.byCost ? keys.length - TOP : 0;
    if (hidden > 0) keys = keys.slice(0, TOP).concat([OTHERS]);

    const series = [...new Set(rows.map(seriesOf))].sort();
    const bars = new Map(keys.map((k) => [k, new Map()]));
    for (const row of rows) {
      const bar = keys.slice(0, keys.length - (hidden > 0 ? 1 : 0)).includes(keyOf(row)) ? keyOf(row) : OTHERS;
      if (!bars.has(bar)) continue;
      const segments = bars.get(bar);
      segments.set(seriesOf(row), (segments.get(seriesOf(row)) || 0) + Number(row.cost || 0));
    }
    const sum = (k) => [...bars.get(k).values()].reduce((a, b) => a + b, 0);

    // The scale follows the named bars; a larger "others" bar is cut at the edge and labelled.
    const named = keys.filter((k) => k !== OTHERS);
    const max = Math.max(1e-12, ...(named.length ? named : keys).map(sum));
    const horizontal = options.horizontal;
    const band = horizontal ? 18 : Math.max(6, Math.min(28, 520 / Math.max(1, keys.length)));
    const width = horizontal ? 520 : Math.max(420, 60 + keys.length * band);
    const height = horizontal ? 10 + keys.length * band : 220;

    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height + (horizontal ? 0 : 40)}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", options.label);
    keys.forEach((k, index) => {
      const group = document.createElementNS(SVG, "g");
      group.setAttribute(options.dataName, k);
      group.setAttribute("data-cost", String(sum(k)));
      let offset = 0;
      series.forEach((name, s) => {
        const value = bars.get(k).get(name) || 0;
        if (value <= 0) return;
        const full = horizontal ? 360 : 200;
        const size = Math.min((value / max) * full, Math.max(0, full - offset));
        const rect = document.createElementNS(SVG, "rect");
        if (horizontal) {
          rect.setAttribute("x", String(150 + offset)); rect.setAttribute("y", String(5 + index * band));
          rect.setAttribute("width", String(size)); rect.setAttribute("height", String(band - 4));
        } else {
          rect.setAttribute("x", String(40 + index * band)); rect.setAttribute("y", String(210 - offset - size));
          rect.setAttribute("width", String(band - 2)); rect.setAttribute("height", String(size));
        }
        rect.setAttribute("fill", COLORS[s % COLORS.length]);
        const title = document.createElementNS(SVG, "title");
        title.textContent = `${k}, ${name}: ${money(value)}`;
        rect.append(title);
        group.append(rect);
        offset += size;
      });
      const text = document.createElementNS(SVG, "text");
      if (horizontal) {
        text.setAttribute("x", "145"); text.setAttribute("y", String(17 + index * band)); text.setAttribute("text-anchor", "end");
        const label = k === OTHERS ? `others (${hidden}): ${money(sum(k))}` : names.get(k) || k;
        text.textContent = label.length > 22 ? label.slice(0, 21) + "…" : label;
      } else {
        text.setAttribute("x", String(40 + index * band + band / 2)); text.setAttribute("y", "225");
        text.setAttribute("transform", `rotate(60 ${40 + index * band + band / 2} 225)`);
        text.textContent = k.slice(5);
      }
      group.append(text);
      svg.append(group);
    });

    const legend = element("div", { class: "legend" });
    series.forEach((name, s) => {
      const item = element("span", {}, name);
      const swatch = element("i");
      swatch.style.background = COLORS[s % COLORS.length];
      item.prepend(swatch);
      legend.append(item);
    });
    container.replaceChildren(svg, legend);
  }

  function clearResults() {
    for (const selector of ["#tiles", "#chart-users", "#chart-days", "#chart-types", "#users tbody"]) $(selector).replaceChildren();
    $("#quality").hidden = true;
    $("#detail").hidden = true;
    $("#csv").removeAttribute("href");
  }

  async function load() {
    const mine = ++generation;
    setStatus("loading", "Loading…");
    try {
      readControls();
      writeControls();
      writeAddress();
      const all = await get(query({ group_by: "user" }));
      let users = null;
      if (state.q) {
        const needle = state.q.toLowerCase();
        users = all.rows
          .filter((row) => row.user.toLowerCase().includes(needle) || (row.display_name || "").toLowerCase().includes(needle))
          .map((row) => row.user);
        if (users.length === 0) users = ["(no such user)"];
      }
      const [main, byModel, byDay, byType] = await Promise.all([
        users ? get(query({ group_by: "user" }, users)) : Promise.resolve(all),
        get(query({ group_by: "user,model" }, users)),
        get(query({ group_by: `day,${state.stack}` }, users)),
        get(query({ group_by: "deployment_type" }, users)),
      ]);
      if (mine !== generation) return;
      lastUsers = main;
      $("#sample").hidden = !main.sample;
      tiles(main);
      quality(main);
      table(main);
      stacked($("#chart-users"), byModel.rows, (row) => row.user, (row) => row.model, { byCost: true, horizontal: true, dataName: "data-user", label: "Cost by user" });
      stacked($("#chart-days"), byDay.rows, (row) => row.day, (row) => row[state.stack], { byCost: false, horizontal: false, dataName: "data-day", label: "Cost by day" });
      stacked($("#chart-types"), byType.rows, (row) => row.deployment_type, () => "cost", { byCost: true, horizontal: true, dataName: "data-type", label: "Cost by deployment type" });
      $("#csv").href = query({ group_by: "user", format: "csv" }, users);
      const [from, to] = period();
      setStatus("ready", `${from} to ${to} (${state.tz}), ${main.currency}, prices from ${main.prices.source} as of ${main.prices.as_of.slice(0, 10)}${main.prices.stale ? " (stale)" : ""}`);
    } catch (error) {
      if (mine !== generation) return;
      clearResults();
      setStatus("error", `Loading failed: ${error.message}`);
    }
    clearInterval(timer);
    if (state.refresh) timer = setInterval(load, 60000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    writeControls();
    $("#range").addEventListener("change", () => {
      const [tz, q, currency] = [$("#tz").value, $("#q").value, $("#currency").value];
      state.range = $("#range").value;
      writeControls();
      [$("#tz").value, $("#q").value, $("#currency").value] = [tz, q, currency];
    });
    $("#refresh").addEventListener("change", () => load());
    $("#stack").addEventListener("change", () => load());
    $("#controls").addEventListener("submit", (event) => { event.preventDefault(); load(); });
    load();
  });
})();
