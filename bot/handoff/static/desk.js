/*
 * The hand-off desk, for 101 contact handlers. Plain JavaScript, no build step.
 * Everything a person typed is shown as text (textContent), never parsed as HTML.
 * The session lives in an HttpOnly cookie; requests that change something carry the CSRF token.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const STATES = {
    waiting: "Waiting",
    live: "Live chat",
    closed: "Ended",
    referred: "Given a reference (nobody picked it up in time or out of hours)",
    left: "The person left",
  };
  const FROM = { user: "Person:", handler: "You:", notice: "Told the person:" };

  let me = null;
  let current = null; // the reference on screen
  let socket = null;
  let reconnectDelay = 1000;
  let renderedIds = new Set();

  function announce(text) {
    $("announce").textContent = "";
    setTimeout(() => ($("announce").textContent = text), 50);
  }

  function show(el, visible) {
    el.hidden = !visible;
  }

  async function api(path, { method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      if (me) headers["X-CSRF-Token"] = me.csrf;
    }
    const response = await fetch(`/desk/api/${path}`, {
      method,
      headers,
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin",
      cache: "no-store",
    });
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.status === 401) {
      loggedOut(data && data.error === "session_expired" ? "Your session has ended. Please log in again." : "");
      throw new Error("logged out");
    }
    return { status: response.status, data };
  }

  // --- Login ------------------------------------------------------------------------------

  function loggedOut(message) {
    me = null;
    current = null;
    if (socket) socket.close();
    socket = null;
    show($("desk"), false);
    show($("who"), false);
    show($("statistics"), false);
    show($("logout"), false);
    show($("login"), true);
    const error = $("login-error");
    error.textContent = message || "";
    show(error, Boolean(message));
    $("username").focus();
  }

  function loggedIn(data) {
    me = data;
    $("who").textContent = `${data.username}, ${data.force_name}`;
    show($("who"), true);
    // Only a supervisor's account can read the statistics (the page checks it again).
    show($("statistics"), data.role === "supervisor");
    show($("logout"), true);
    show($("login"), false);
    show($("desk"), true);
    const outcome = $("outcome");
    outcome.replaceChildren(...data.outcomes.map((o) => new Option(o, o)));
    connect();
    loadQueue();
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = $("username").value.trim();
    const password = $("password").value;
    const response = await fetch("/desk/api/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password }),
      credentials: "same-origin",
    });
    $("password").value = "";
    if (response.ok) {
      show($("login-error"), false);
      loggedIn(await response.json());
      $("main").focus();
      return;
    }
    const error = $("login-error");
    error.textContent =
      response.status === 429 ? "Too many attempts. Wait a minute and try again." : "That name or password is not right.";
    show(error, true);
    $("password").focus();
  });

  $("logout").addEventListener("click", async () => {
    try {
      await api("logout", { method: "POST" });
    } catch {
      /* logged out anyway */
    }
    loggedOut("You have logged out.");
  });

  // --- Queue ------------------------------------------------------------------------------

  function minutes(seconds) {
    const m = Math.floor(seconds / 60);
    return m < 1 ? "less than a minute" : m === 1 ? "1 minute" : `${m} minutes`;
  }

  let queueLoadedAt = 0;
  let lastQueue = [];

  async function loadQueue() {
    const { status, data } = await api("queue");
    if (status !== 200) return;
    const before = new Set(lastQueue.filter((c) => c.state === "waiting").map((c) => c.reference));
    lastQueue = data.cases;
    queueLoadedAt = Date.now();
    renderQueue();
    const fresh = data.cases.filter((c) => c.state === "waiting" && !before.has(c.reference));
    if (fresh.length) announce(`${fresh.length} new case${fresh.length > 1 ? "s" : ""} waiting.`);
  }

  function renderQueue() {
    const list = $("queue");
    const elapsed = Math.round((Date.now() - queueLoadedAt) / 1000);
    list.replaceChildren(
      ...lastQueue.map((c) => {
        const item = document.createElement("li");
        if (c.reference === current) item.className = "current";
        const title = document.createElement("strong");
        title.textContent = c.reference;
        const detail = document.createElement("span");
        detail.className = "muted";
        detail.textContent =
          c.state === "waiting"
            ? ` waiting ${minutes(c.waiting_seconds + elapsed)} (${c.channel})`
            : ` live with you (${c.channel})`;
        const open = document.createElement("button");
        open.type = "button";
        open.className = "secondary";
        open.textContent = `Open ${c.reference}`;
        open.addEventListener("click", () => openCase(c.reference, true));
        item.append(title, detail, document.createElement("br"), open);
        return item;
      }),
    );
    show($("queue-empty"), lastQueue.length === 0);
  }
  setInterval(() => me && renderQueue(), 15000);

  // --- One case ---------------------------------------------------------------------------

  async function openCase(reference, focus) {
    const { status, data } = await api(`cases/${encodeURIComponent(reference)}`);
    if (status === 404) {
      if (current === reference) {
        current = null;
        show($("case"), false);
      }
      return false;
    }
    if (status !== 200) return false;
    const switched = current !== data.reference;
    current = data.reference;
    renderCase(data, switched);
    renderQueue();
    if (focus) $("case-title").focus();
    return true;
  }

  function renderCase(data, switched) {
    show($("case"), true);
    $("case-title").textContent = `Case ${data.reference}`;
    $("case-title").tabIndex = -1;
    const waited = minutes(data.waiting_seconds);
    $("case-state").textContent = `${STATES[data.state] || data.state}. Asked ${waited} ago, via ${data.channel}.${
      data.outcome ? ` Outcome: ${data.outcome}.` : ""
    }`;
    $("case-summary").textContent = data.summary_text || "(no summary)";
    const log = $("case-log");
    if (switched) {
      log.replaceChildren();
      renderedIds = new Set();
    }
    let added = 0;
    for (const m of data.messages) {
      if (renderedIds.has(m.id)) continue;
      renderedIds.add(m.id);
      const item = document.createElement("p");
      item.className = `msg ${m.from}`;
      const from = document.createElement("span");
      from.className = "from";
      from.textContent = FROM[m.from] || "";
      item.append(from, document.createTextNode(m.text));
      log.append(item);
      if (!switched && m.from === "user") announce(`The person wrote: ${m.text}`);
      added += 1;
    }
    if (added) log.scrollTop = log.scrollHeight;
    show($("claim"), data.can_claim);
    show($("chat-form"), data.can_chat);
    show($("close-form"), data.can_close);
    show($("case-error"), false);
  }

  $("claim").addEventListener("click", async () => {
    const { status, data } = await api(`cases/${encodeURIComponent(current)}/claim`, { method: "POST" });
    if (status === 200) {
      renderCase(data, false);
      announce(`You have claimed case ${data.reference}. The person has been told.`);
      $("chat-input").focus();
      loadQueue();
    } else {
      caseError(status === 409 ? "Someone else has already claimed this case." : "The case could not be claimed.");
      openCase(current, false);
      loadQueue();
    }
  });

  $("chat-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("chat-input");
    const text = input.value.trim();
    if (!text) return;
    const { status } = await api(`cases/${encodeURIComponent(current)}/messages`, { method: "POST", body: { text } });
    if (status === 200) {
      input.value = "";
      openCase(current, false);
    } else {
      caseError("Your message could not be sent.");
    }
    input.focus();
  });

  $("chat-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("chat-form").requestSubmit();
    }
  });

  $("close-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const { status, data } = await api(`cases/${encodeURIComponent(current)}/close`, {
      method: "POST",
      body: { outcome: $("outcome").value },
    });
    if (status === 200) {
      renderCase(data, false);
      announce(`Case ${data.reference} has ended.`);
      loadQueue();
    } else {
      caseError("The case could not be ended.");
    }
  });

  function caseError(text) {
    const error = $("case-error");
    error.textContent = text;
    show(error, true);
  }

  $("lookup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reference = $("lookup").value.trim();
    const error = $("lookup-error");
    if (!reference) return;
    if (await openCase(reference, true)) {
      show(error, false);
      $("lookup").value = "";
    } else {
      error.textContent = `No case ${reference} for your force.`;
      show(error, true);
    }
  });

  // --- Live updates -----------------------------------------------------------------------

  function connect() {
    if (!me) return;
    const url = new URL("/desk/ws", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      reconnectDelay = 1000;
      $("connection").textContent = "Live updates on.";
      loadQueue();
      if (current) openCase(current, false);
    });
    socket.addEventListener("message", (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (data.type === "session_expired") {
        loggedOut("Your session has ended. Please log in again.");
      } else if (data.type === "queue") {
        loadQueue();
      } else if (data.type === "case") {
        if (data.reference === current) openCase(current, false);
        loadQueue();
      }
    });
    socket.addEventListener("close", () => {
      if (!me) return;
      $("connection").textContent = "Live updates lost. Reconnecting…";
      setTimeout(connect, reconnectDelay);
      reconnectDelay = Math.min(reconnectDelay * 2, 15000);
    });
  }

  window.deskReady = (async () => {
    const response = await fetch("/desk/api/me", { credentials: "same-origin", cache: "no-store" });
    if (response.ok) loggedIn(await response.json());
    else loggedOut("");
  })();
})();
