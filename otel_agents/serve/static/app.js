// otel-agents live page: one WebSocket (/ws) for the feed, REST for figures and feedback.
// Plain DOM, no build step; every value from the feed is set as text, never as HTML.
"use strict";

const MAX_ACTIONS = 100;
const MAX_THOUGHTS = 50;
const LATENCY_POINTS = 30;
const TOKEN_KEY = "otel-agents-serve-token";

const state = {
  socket: null,
  retryMs: 500,
  agents: new Map(), // name -> figures from /api/v1/agents
  latencies: new Map(), // name -> recent durations (ms), for the latency sparkline
  windows: new Map(), // name -> learning windows, from learning_update
  running: [],
  agentsDue: false,
};

const $ = (selector) => document.querySelector(selector);

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

function authHeaders(extra) {
  const headers = Object.assign({}, extra || {});
  if (token()) headers.Authorization = "Bearer " + token();
  return headers;
}

function setConnection(stateName, text) {
  const element = $("#connection");
  element.dataset.state = stateName;
  element.textContent = text;
}

// -- the feed ------------------------------------------------------------------------------
function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(scheme + "//" + location.host + "/ws");
  state.socket = socket;
  socket.addEventListener("open", () => {
    if (token()) socket.send(JSON.stringify({ type: "auth", token: token() }));
    socket.send(JSON.stringify({ type: "subscribe", topics: ["all"] }));
    state.retryMs = 500;
    setConnection("live", "Live");
  });
  socket.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    for (const message of frame) handle(message);
  });
  socket.addEventListener("close", (event) => {
    if (socket.replaced) return;
    if (event.code === 1008) {
      setConnection("unauthorized", "Not authorised: enter the access token.");
      $("#access").open = true;
      return;
    }
    setConnection("closed", "Disconnected; reconnecting…");
    setTimeout(connect, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 10000);
  });
}

function handle(message) {
  switch (message.type) {
    case "snapshot":
      for (const figures of message.agents) state.agents.set(figures.name, figures);
      for (const action of message.actions) addAction(action);
      for (const thought of message.thoughts) addThought(thought);
      state.running = message.in_flight;
      renderAgents();
      renderRunning();
      break;
    case "action_update":
      addAction(message.action);
      state.agentsDue = true;
      break;
    case "pending_update":
      state.agentsDue = true;
      break;
    case "thought_update":
      addThought(message.thought);
      break;
    case "learning_update":
      state.windows.set(message.learning.agent, message.learning.windows);
      state.agentsDue = true;
      break;
    case "feedback_update":
      markFeedback(message.feedback);
      break;
    case "dropped":
      setConnection("live", "Live (this page fell behind: " + message.total + " updates skipped)");
      break;
    default:
      break; // heartbeat, subscribed, error: nothing to draw
  }
}

// -- actions -------------------------------------------------------------------------------
function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function formatNumber(value, digits) {
  if (value === null || value === undefined) return "–";
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
}

function timeOf(stamp) {
  return typeof stamp === "string" && stamp.length >= 19 ? stamp.slice(11, 19) : "";
}

function addAction(action) {
  const body = $("#actions tbody");
  if (body.querySelector('tr[data-event-id="' + CSS.escape(action.event_id) + '"]')) return;
  if (action.kind === "agent" && typeof action.duration_ms === "number") {
    const series = state.latencies.get(action.agent) || [];
    series.push(action.duration_ms);
    if (series.length > LATENCY_POINTS) series.shift();
    state.latencies.set(action.agent, series);
  }
  const row = document.createElement("tr");
  row.dataset.eventId = action.event_id;
  row.dataset.agent = action.agent;
  row.appendChild(cell(timeOf(action.end_time || action.start_time)));
  row.appendChild(cell(action.kind));
  row.appendChild(cell(action.name));
  row.appendChild(cell(action.status, "status status-" + action.status));
  row.appendChild(cell(formatNumber(action.duration_ms, 1), "num"));
  row.appendChild(cell(formatNumber(action.total_tokens, 0), "num"));
  const feedback = document.createElement("td");
  feedback.appendChild(feedbackButton(action, "positive", "Good"));
  feedback.appendChild(document.createTextNode(" "));
  feedback.appendChild(feedbackButton(action, "negative", "Bad"));
  row.appendChild(feedback);
  body.insertBefore(row, body.firstChild);
  while (body.rows.length > MAX_ACTIONS) body.deleteRow(body.rows.length - 1);
}

function feedbackButton(action, kind, label) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "fb fb-" + kind;
  button.textContent = label;
  button.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-label", label + ": " + action.name + " at " + timeOf(action.end_time));
  button.addEventListener("click", () => sendFeedback(action, kind, button));
  return button;
}

async function sendFeedback(action, kind, button) {
  const status = $("#feedback-status");
  button.disabled = true;
  try {
    const response = await fetch("/api/v1/feedback", {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json" }),
      body: JSON.stringify({ event_id: action.event_id, kind: kind, agent: action.agent }),
    });
    const body = await response.json();
    if (response.status === 202) {
      button.setAttribute("aria-pressed", "true");
      status.textContent = "Feedback (" + kind + ") sent on " + action.name + ".";
    } else {
      status.textContent = "Feedback not sent: " + (body.error || response.status);
    }
  } catch (error) {
    status.textContent = "Feedback not sent: the server cannot be reached.";
  } finally {
    button.disabled = false;
  }
}

function markFeedback(feedback) {
  const row = $("#actions tbody").querySelector(
    'tr[data-event-id="' + CSS.escape(feedback.event_id) + '"]'
  );
  if (!row) return;
  const button = row.querySelector(".fb-" + feedback.kind);
  if (button) button.setAttribute("aria-pressed", "true");
}

function addThought(thought) {
  const list = $("#thoughts");
  const item = document.createElement("li");
  const who = document.createElement("strong");
  who.textContent = thought.agent + ": ";
  item.appendChild(who);
  item.appendChild(document.createTextNode(thought.text));
  list.insertBefore(item, list.firstChild);
  while (list.children.length > MAX_THOUGHTS) list.removeChild(list.lastChild);
}

// -- agents --------------------------------------------------------------------------------
function sparkline(values, label, lowIsGood) {
  const svgNs = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("width", "90");
  svg.setAttribute("height", "20");
  svg.setAttribute("role", "img");
  const title = document.createElementNS(svgNs, "title");
  const last = values.length ? formatNumber(values[values.length - 1], 2) : "none";
  title.textContent = label + ": " + values.length + " points, latest " + last;
  svg.appendChild(title);
  svg.setAttribute("aria-label", title.textContent);
  if (values.length > 1) {
    const low = Math.min(...values);
    const high = Math.max(...values);
    const span = high - low || 1;
    const points = values.map((value, index) => {
      const x = (index / (values.length - 1)) * 88 + 1;
      const y = 19 - ((value - low) / span) * 18;
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    const line = document.createElementNS(svgNs, "polyline");
    line.setAttribute("points", points.join(" "));
    svg.appendChild(line);
  }
  svg.dataset.lowIsGood = lowIsGood ? "true" : "false";
  return svg;
}

function renderAgents() {
  const body = $("#agents tbody");
  const running = new Map();
  for (const item of state.running) {
    if (item.kind === "agent") running.set(item.name, (running.get(item.name) || 0) + 1);
  }
  body.textContent = "";
  const names = Array.from(state.agents.keys()).sort();
  for (const name of names) {
    const figures = state.agents.get(name);
    const row = document.createElement("tr");
    row.dataset.agent = name;
    const head = document.createElement("th");
    head.scope = "row";
    head.textContent = name;
    row.appendChild(head);
    row.appendChild(cell(formatNumber(figures.calls, 0), "num"));
    const rate = figures.success_rate;
    const rateCell = cell(rate === null ? "–" : Math.round(rate * 100) + "%", "num");
    rateCell.classList.add(rate === null || rate >= 0.95 ? "status-SUCCESS" : rate >= 0.8 ? "status-PARTIAL" : "status-FAILURE");
    row.appendChild(rateCell);
    row.appendChild(cell(formatNumber(figures.p50_ms, 1), "num"));
    row.appendChild(cell(formatNumber(figures.p95_ms, 1), "num"));
    row.appendChild(cell(formatNumber(figures.total_tokens, 0), "num"));
    row.appendChild(cell(formatNumber(figures.cost_usd, 4), "num"));
    row.appendChild(cell(formatNumber(figures.avg_reward, 3), "num"));
    row.appendChild(cell(figures.trend));
    row.appendChild(cell(formatNumber(running.get(name) || figures.in_flight || 0, 0), "num"));
    const score = document.createElement("td");
    score.appendChild(sparkline(state.windows.get(name) || [], "Learning score of " + name, false));
    row.appendChild(score);
    const latency = document.createElement("td");
    latency.appendChild(sparkline(state.latencies.get(name) || [], "Latency of " + name + " in ms", true));
    row.appendChild(latency);
    body.appendChild(row);
  }
  $("#agents-empty").hidden = names.length > 0;
}

function renderRunning() {
  const list = $("#running");
  list.textContent = "";
  for (const item of state.running.slice(0, 20)) {
    const entry = document.createElement("li");
    entry.textContent = item.name + " (" + item.kind + "), running " + formatNumber(item.running_s, 1) + " s";
    list.appendChild(entry);
  }
  $("#running-empty").hidden = state.running.length > 0;
}

async function refreshAgents() {
  if (!state.agentsDue) return;
  state.agentsDue = false;
  try {
    const response = await fetch("/api/v1/agents", { headers: authHeaders() });
    if (!response.ok) return;
    const body = await response.json();
    for (const figures of body.agents) state.agents.set(figures.name, figures);
    state.running = body.in_flight;
    renderAgents();
    renderRunning();
  } catch (error) {
    state.agentsDue = true; // try again on the next tick
  }
}

// -- start ---------------------------------------------------------------------------------
$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("#token").value);
  $("#token").value = "";
  if (state.socket) {
    state.socket.replaced = true;
    state.socket.close();
  }
  connect();
});
setInterval(refreshAgents, 1000);
connect();
