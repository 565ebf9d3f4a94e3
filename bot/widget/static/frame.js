/*
 * Ask in Confidence: the conversation, in a frame served by the assistant's own site.
 *
 * The force's page runs widget.js, which draws the launcher and puts this page in an iframe:
 * HOST/widget/frame?force=...&colour=...&lang=...&host=ORIGIN. Everything the person
 * says, the session id and the messages not yet sent live here, in this site's own storage,
 * out of reach of the force page's scripts (analytics, tag managers, session replay).
 *
 * The frame and the page talk by postMessage, and only about what the page needs; no message
 * text ever crosses. This frame accepts messages only from its parent window and from the
 * origin the page gave as `host`, and posts only to that origin:
 *   from the page:  {aic: "host", type: "open", focus} | "close" | "escapes" {count} | "exit"
 *   to the page:    {aic: "frame", type: "ready", open, lang} | "lang" {lang} | "escape" | "exit"
 * "escape" is an Escape pressed in here; the page counts them (three in a row leave). "exit"
 * from the page asks this frame to forget everything; it answers "exit" once it has, and the
 * page leaves. The frame's own exit button forgets first and then tells the page to leave.
 *
 * data-lang="cy" opens it in Welsh; the English/Cymraeg switch in its header lets the person
 * choose (kept for this tab only), and a person who writes in Welsh is answered in Welsh.
 *
 * Plain JavaScript, no build step, no third-party code. Everything it shows is rendered as
 * text (textContent); only http(s) links in messages become links. The only thing it keeps is
 * in sessionStorage (a random session id, messages not yet sent, whether the panel is open):
 * nothing in localStorage, no cookies. The conversation itself lives on the server and is read
 * back on reload.
 */
(() => {
  "use strict";

  // --- Settings from the frame's address (set by widget.js from its data- attributes) -------

  const STRINGS = {
    en: {
      title: "Ask in Confidence",
      subtitle: "Anonymous advice. You don't need to give your name.",
      subtitleForce: "Anonymous advice from {force}. You don't need to give your name.",
      exit: "Exit this page",
      exitHint: "Or press Escape 3 times",
      escapeProgress2: "Escape pressed. Press it 2 more times to exit this page.",
      escapeProgress1: "Escape pressed. Press it once more to exit this page.",
      logLabel: "Conversation",
      you: "You said:",
      assistant: "Assistant said:",
      notice: "Notice:",
      chooseReply: "Choose a reply",
      inputLabel: "Your message",
      inputHint: "Press Enter to send, Shift and Enter for a new line.",
      send: "Send",
      typing: "The assistant is replying",
      pending: "Not sent yet: it will be sent when the connection is back.",
      offline: "You're offline. Your messages will be sent when the connection is back.",
      reconnecting: "Can't reach the assistant. Trying again…",
      online: "Connected again.",
      failed: "That message could not be sent. Please try again.",
      newTab: "(opens in a new tab)",
      restart: "Start again",
      del: "Delete my conversation",
      confirmDelete: "Delete this conversation from this device and from our server?",
      confirmYes: "Yes, delete it",
      confirmNo: "Cancel",
      deleteFailed: "Your conversation could not be deleted just now. Please try again.",
      loading: "Loading…",
      // The switch to the other language, written in that language (its lang is set too).
      // Its accessible name starts with the visible word (WCAG 2.5.3 Label in Name).
      switchTo: "Cymraeg",
      switchHint: "(newid i'r Gymraeg)",
    },
    // Welsh: terms from i18n/GLOSSARY.md; a fluent Welsh speaker should review before go-live.
    cy: {
      title: "Gofyn yn Gyfrinachol",
      subtitle: "Cyngor dienw. Does dim angen i chi roi eich enw.",
      subtitleForce: "Cyngor dienw gan {force}. Does dim angen i chi roi eich enw.",
      exit: "Gadael y dudalen hon",
      exitHint: "Neu pwyswch Escape 3 gwaith",
      escapeProgress2: "Escape wedi'i bwyso. Pwyswch e 2 waith eto i adael y dudalen hon.",
      escapeProgress1: "Escape wedi'i bwyso. Pwyswch e unwaith eto i adael y dudalen hon.",
      logLabel: "Sgwrs",
      you: "Dywedoch chi:",
      assistant: "Dywedodd y cynorthwyydd:",
      notice: "Hysbysiad:",
      chooseReply: "Dewiswch ateb",
      inputLabel: "Eich neges",
      inputHint: "Pwyswch Enter i anfon, a Shift ac Enter am linell newydd.",
      send: "Anfon",
      typing: "Mae'r cynorthwyydd yn ateb",
      pending: "Heb ei hanfon eto: bydd yn cael ei hanfon pan fydd y cysylltiad yn ôl.",
      offline: "Dydych chi ddim ar-lein. Bydd eich negeseuon yn cael eu hanfon pan fydd y cysylltiad yn ôl.",
      reconnecting: "Methu cyrraedd y cynorthwyydd. Rhoi cynnig arall arni…",
      online: "Wedi ailgysylltu.",
      failed: "Doedd dim modd anfon y neges honno. Rhowch gynnig arall arni.",
      newTab: "(yn agor mewn tab newydd)",
      restart: "Dechrau eto",
      del: "Dileu fy sgwrs",
      confirmDelete: "Dileu'r sgwrs hon o'r ddyfais hon ac o'n gweinydd ni?",
      confirmYes: "Ydw, dilëwch hi",
      confirmNo: "Canslo",
      deleteFailed: "Doedd dim modd dileu eich sgwrs ar hyn o bryd. Rhowch gynnig arall arni.",
      loading: "Wrthi'n llwytho…",
      switchTo: "English",
      switchHint: "(switch to English)",
    },
  };

  const params = new URLSearchParams(window.location.search);
  const attr = (name, fallback) => {
    const value = params.get(name);
    return value && value.trim() ? value.trim() : fallback;
  };
  // lang (the page's data-lang) is a first guess; the switch is the person's own choice.
  const pageLang = STRINGS[attr("lang", "en")] ? attr("lang", "en") : "en";
  let chosenLang = null;
  try {
    chosenLang = window.sessionStorage.getItem("aic:lang");
  } catch {
    chosenLang = null;
  }
  if (!STRINGS[chosenLang]) chosenLang = null;
  let lang = chosenLang || pageLang;
  let T = STRINGS[lang];
  const fmt = (s, values) => s.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));

  const DEFAULT_EXIT_URL = "https://www.bbc.co.uk/weather";
  const api = (path) => new URL(path, window.location.href).toString();
  // The page that embeds this frame: its window is our parent, its origin the one it gave.
  const embedded = window.parent !== window;
  const settings = {
    force: attr("force", ""),
    colour: attr("colour", "#1d4b8f"),
    // Opened on its own, the frame leaves for the neutral site; embedded, the page leaves for
    // its own data-exit-url. No address in a link can choose where the exit goes.
    exitUrl: "",
    // The page's own text for when the assistant cannot be reached (data-unavailable-text);
    // not taken from a link to the frame opened on its own.
    unavailable: embedded ? attr("unavailable", "") : "",
  };
  const hostOrigin = embedded ? originOf(attr("host", "")) : null;
  // Open while the page shows the frame (always, when the frame is opened on its own).
  let isOpen = !embedded;
  let exited = false;

  function originOf(raw) {
    try {
      const url = new URL(raw);
      return (url.protocol === "https:" || url.protocol === "http:") && url.origin === raw ? raw : null;
    } catch {
      return null;
    }
  }

  function safeUrl(raw) {
    // An empty value would resolve to this page's own address.
    if (!raw) return "";
    try {
      const url = new URL(raw, document.baseURI);
      return url.protocol === "https:" || url.protocol === "http:" ? url.toString() : "";
    } catch {
      return "";
    }
  }

  // --- This site's sessionStorage (kept per tab, and per force site by the browser) ----------

  const KEYS = { session: "aic:session", outbox: "aic:outbox", open: "aic:open", started: "aic:started", lang: "aic:lang" };
  const store = {
    get(key) {
      try {
        return window.sessionStorage.getItem(key);
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        window.sessionStorage.setItem(key, value);
      } catch {
        /* storage blocked (some browsers block it in another site's frame) or full: the
           conversation still works for this page view, and is not read back after a reload */
      }
    },
    clear() {
      try {
        for (const key of Object.values(KEYS)) window.sessionStorage.removeItem(key);
      } catch {
        /* nothing stored */
      }
    },
  };

  function randomId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // Made when first needed, so a visitor who never opens the widget leaves nothing behind.
  let session = /^[0-9a-f]{32}$/.test(store.get(KEYS.session) || "") ? store.get(KEYS.session) : null;
  function sessionId() {
    if (!session) {
      session = randomId();
      store.set(KEYS.session, session);
    }
    return session;
  }

  let outbox = [];
  try {
    outbox = JSON.parse(store.get(KEYS.outbox) || "[]");
    if (!Array.isArray(outbox)) outbox = [];
  } catch {
    outbox = [];
  }
  const saveOutbox = () => store.set(KEYS.outbox, JSON.stringify(outbox));

  // --- DOM ---------------------------------------------------------------------------------

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else if (value !== false && value != null) node.setAttribute(key, value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  };

  // The force's colour, through the CSSOM (allowed by this page's Content-Security-Policy).
  const brand = brandColours(settings.colour);
  document.documentElement.style.setProperty("--aic-brand", brand.background);
  document.documentElement.style.setProperty("--aic-brand-text", brand.text);
  document.documentElement.style.setProperty("--aic-brand-ink", brand.ink);

  const sr = el("div", { class: "aic-visually-hidden", "aria-live": "polite" });
  const exitButton = el(
    "button",
    { type: "button", class: "aic-exit", onclick: () => quickExit() },
    el("span", { class: "aic-exit-label", text: T.exit }),
    el("span", { class: "aic-exit-hint", text: T.exitHint }),
  );
  const escapeDots = el("span", { class: "aic-escape-dots", "aria-hidden": "true" });
  exitButton.append(escapeDots);

  const title = el("h2", { id: "aic-title", class: "aic-title", text: T.title });
  // The English/Cymraeg switch: it names the other language, in that language (and lang).
  // Its name comes from its content, the visible word first and then a hidden explanation
  // ("Cymraeg (newid i'r Gymraeg)"), so a person using speech input can say what they see.
  const langSwitchText = el("span");
  const langSwitchHint = el("span", { class: "aic-visually-hidden" });
  const langSwitch = el(
    "button",
    { type: "button", class: "aic-link-button aic-lang-switch", onclick: () => switchLanguage() },
    langSwitchText,
    langSwitchHint,
  );
  const subtitle = el("p", { class: "aic-subtitle", text: T.subtitle });
  const status = el("p", { class: "aic-status", role: "status", hidden: true });
  const log = el("div", {
    class: "aic-log",
    role: "log",
    "aria-live": "off",
    "aria-labelledby": "aic-log-label",
    tabindex: "0",
  });
  const logLabel = el("span", { id: "aic-log-label", class: "aic-visually-hidden", text: T.logLabel });
  const typing = el(
    "div",
    { class: "aic-typing", hidden: true },
    el("span", { class: "aic-visually-hidden", text: T.typing }),
    el("span", { class: "aic-dot", "aria-hidden": "true" }),
    el("span", { class: "aic-dot", "aria-hidden": "true" }),
    el("span", { class: "aic-dot", "aria-hidden": "true" }),
  );
  const input = el("textarea", {
    id: "aic-input",
    class: "aic-input",
    rows: "2",
    maxlength: "1500",
    autocomplete: "off",
    spellcheck: "true",
    "aria-describedby": "aic-input-hint",
  });
  const form = el(
    "form",
    { class: "aic-form", novalidate: true, onsubmit: onSubmit },
    el("label", { for: "aic-input", class: "aic-label", text: T.inputLabel }),
    el("span", { id: "aic-input-hint", class: "aic-visually-hidden", text: T.inputHint }),
    el("div", { class: "aic-form-row" }, input, el("button", { type: "submit", class: "aic-send", text: T.send })),
  );
  const confirmYes = el("button", { type: "button", class: "aic-danger", text: T.confirmYes, onclick: () => deleteConversation() });
  const confirmNo = el("button", { type: "button", class: "aic-secondary", text: T.confirmNo, onclick: () => hideConfirm(true) });
  const confirm = el(
    "div",
    { class: "aic-confirm", role: "group", "aria-labelledby": "aic-confirm-text", hidden: true },
    el("p", { id: "aic-confirm-text", text: T.confirmDelete }),
    el("div", { class: "aic-confirm-actions" }, confirmYes, confirmNo),
  );
  const deleteButton = el("button", { type: "button", class: "aic-link-button", text: T.del, onclick: showConfirm });
  const restartButton = el("button", { type: "button", class: "aic-link-button", text: T.restart, onclick: restart });
  const leaveButton = el("button", { type: "button", class: "aic-link-button", hidden: true, onclick: leaveHandoff });
  const panel = el(
    "main",
    { id: "aic-panel", class: "aic-panel", "aria-labelledby": "aic-title" },
    el("header", { class: "aic-header" }, title, langSwitch, exitButton, subtitle),
    status,
    logLabel,
    log,
    typing,
    form,
    confirm,
    el("div", { class: "aic-footer" }, leaveButton, restartButton, deleteButton),
  );
  const root = document.documentElement;

  function brandColours(raw) {
    // The force's colour, darkened if needed so white text on it, and it as text on white,
    // both reach the 4.5:1 contrast WCAG AA asks for. (widget.js does the same for the
    // launcher, and passes its result here.)
    let rgb = parseRgb(raw) || [29, 75, 143];
    const lum = ([r, g, b]) => {
      const f = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const contrastWithWhite = (c) => 1.05 / (lum(c) + 0.05);
    while (contrastWithWhite(rgb) < 4.6) rgb = rgb.map((c) => Math.max(0, Math.floor(c * 0.9)));
    const css = `rgb(${rgb.join(", ")})`;
    return { background: css, text: "#ffffff", ink: css };
  }

  function parseRgb(value) {
    const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value);
    if (hex) {
      const h = hex[1].length === 3 ? [...hex[1]].map((c) => c + c).join("") : hex[1];
      return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
    }
    const m = /rgba?\(\s*(\d+)[,\s]+(\d+)[,\s]+(\d+)/i.exec(value);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
  }

  // --- Rendering -----------------------------------------------------------------------------

  const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;

  function linkify(text) {
    // Text nodes and <a> elements only: nothing in a message is ever parsed as HTML.
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(URL_PATTERN)) {
      let raw = match[0];
      const trailing = /[.,;:!?)\]]+$/.exec(raw);
      if (trailing) raw = raw.slice(0, -trailing[0].length);
      const href = safeUrl(raw.startsWith("www.") ? `https://${raw}` : raw);
      if (!href) continue;
      fragment.append(text.slice(last, match.index));
      fragment.append(
        el(
          "a",
          { href, target: "_blank", rel: "noopener noreferrer" },
          raw,
          el("span", { class: "aic-visually-hidden", text: ` ${T.newTab}` }),
        ),
      );
      last = match.index + raw.length;
    }
    fragment.append(text.slice(last));
    return fragment;
  }

  function addMessage(from, text, buttons = [], extraClass = "", label = "") {
    const who = from === "user" ? T.you : from === "bot" ? T.assistant : T.notice;
    const item = el(
      "div",
      { class: `aic-msg aic-from-${from} ${extraClass}`.trim() },
      // A person at the desk (hand-off) is named visibly, so nobody takes them for the bot.
      label ? el("strong", { class: "aic-person", text: label }) : el("span", { class: "aic-visually-hidden", text: `${who} ` }),
    );
    const body = el("p", { class: "aic-text" });
    body.append(linkify(text));
    item.append(body);
    if (buttons.length) {
      const group = el("div", { class: "aic-buttons", role: "group", "aria-label": T.chooseReply });
      for (const button of buttons) {
        group.append(
          el("button", {
            type: "button",
            class: "aic-choice",
            text: button.title,
            onclick: () => choose(button),
          }),
        );
      }
      item.append(group);
    }
    log.append(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function removeChoices() {
    for (const group of log.querySelectorAll(".aic-buttons")) group.remove();
  }

  function renderReplies(replies, language) {
    for (const reply of replies) {
      const item = addMessage("bot", reply.text, reply.buttons || []);
      if (STRINGS[language]) item.setAttribute("lang", language);
    }
  }

  // --- English / Cymraeg ---------------------------------------------------------------------

  const other = () => (lang === "cy" ? "en" : "cy");
  // What a message tells bot/ about the language: the person's choice, else the page's guess.
  const languageFields = (command) =>
    command ? { language_hint: lang } : chosenLang ? { language: chosenLang } : { language_hint: pageLang };

  function relabel() {
    T = STRINGS[lang];
    root.setAttribute("lang", lang);
    document.title = T.title;
    // Both parts are in the other language, as the button's lang says.
    langSwitchText.textContent = T.switchTo;
    langSwitchHint.textContent = ` ${T.switchHint}`;
    langSwitch.setAttribute("lang", other());
    title.textContent = T.title;
    const force = lang === "cy" ? config.force_name_cy || config.force_name : config.force_name;
    subtitle.textContent = force ? fmt(T.subtitleForce, { force }) : T.subtitle;
    const texts = {
      ".aic-exit-label": T.exit,
      ".aic-exit-hint": T.exitHint,
      "#aic-log-label": T.logLabel,
      ".aic-typing .aic-visually-hidden": T.typing,
      ".aic-label": T.inputLabel,
      "#aic-input-hint": T.inputHint,
      ".aic-send": T.send,
      "#aic-confirm-text": T.confirmDelete,
    };
    for (const [selector, text] of Object.entries(texts)) {
      const node = panel.querySelector(selector);
      if (node) node.textContent = text;
    }
    confirmYes.textContent = T.confirmYes;
    confirmNo.textContent = T.confirmNo;
    deleteButton.textContent = T.del;
    restartButton.textContent = T.restart;
  }

  function switchLanguage() {
    lang = other();
    chosenLang = lang;
    store.set(KEYS.lang, lang);
    relabel();
    tell("lang", { lang });
    // Once a conversation has started, bot/ records the choice and says so in the new language;
    // before that, the first message carries it.
    if (store.get(KEYS.started)) queue({ id: randomId(), command: lang === "cy" ? "cymraeg" : "english" });
    langSwitch.focus();
  }

  // The person wrote in the other language and bot/ answered in it: the widget follows, unless
  // they chose a language with the switch.
  function follow(language) {
    if (!chosenLang && STRINGS[language] && language !== lang) {
      lang = language;
      relabel();
      tell("lang", { lang });
    }
  }

  function setStatus(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  // --- Talking to bot/ -----------------------------------------------------------------------

  class Offline extends Error {}

  async function post(path, body, timeoutMs = 30000) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(api(path), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
        signal: controller.signal,
      });
    } catch (error) {
      throw new Offline(String(error));
    } finally {
      clearTimeout(timer);
    }
    // 5xx and 429 are worth retrying; any other answer is final for this request.
    if (response.status >= 500 || response.status === 429) throw new Offline(`status ${response.status}`);
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    return { status: response.status, data };
  }

  let config = { unavailable: settings.unavailable };
  async function loadConfig() {
    try {
      const query = settings.force ? `?force=${encodeURIComponent(settings.force)}` : "";
      const response = await fetch(api(`config.json${query}`), { credentials: "omit", referrerPolicy: "no-referrer" });
      if (!response.ok) return;
      const data = await response.json();
      config = { ...data, unavailable: settings.unavailable || data.unavailable };
      relabel();
      if (data.max_chars) input.maxLength = data.max_chars;
      if (!settings.exitUrl && data.exit_url) settings.exitUrl = safeUrl(data.exit_url);
    } catch {
      /* the data attributes' values stand */
    }
  }

  // Connection state: "ok", "retrying" or "offline". Failures back off up to 15 s; an "online"
  // event or a newly typed message retries at once.
  let connection = "ok";
  let busy = false;
  let retryTimer = null;
  let retryDelay = 1000;
  let troubleSince = 0;
  let unavailableShown = false;
  const UNAVAILABLE_AFTER_MS = 10000;
  // A new visitor has no conversation to read back; anyone else's is read from the server.
  let historyLoaded = !store.get(KEYS.started) && !outbox.length;
  const pendingNodes = new Map();

  function setConnection(state) {
    const was = connection;
    connection = state;
    if (state === "ok") {
      retryDelay = 1000;
      troubleSince = 0;
      unavailableShown = false;
      if (was !== "ok") {
        setStatus(T.online);
        setTimeout(() => connection === "ok" && status.textContent === T.online && setStatus(""), 4000);
      }
      return;
    }
    if (!troubleSince) troubleSince = Date.now();
    setStatus(state === "offline" ? T.offline : T.reconnecting);
    for (const item of outbox) markPending(item.id, true);
    // bot/ itself out of reach for a while: show the safety essentials it gave us at load.
    const waiting = outbox.length || !historyLoaded;
    const unavailable = lang === "cy" && !settings.unavailable ? config.unavailable_cy || config.unavailable : config.unavailable;
    if (!unavailableShown && unavailable && waiting && Date.now() - troubleSince >= UNAVAILABLE_AFTER_MS) {
      unavailableShown = true;
      addMessage("notice", unavailable);
    }
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    setConnection(navigator.onLine === false ? "offline" : "retrying");
    retryTimer = setTimeout(sync, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  }

  function queue(item) {
    outbox.push(item);
    saveOutbox();
    sync();
  }

  async function sync() {
    if (busy || exited) return;
    busy = true;
    clearTimeout(retryTimer);
    try {
      await flush();
      // After a reload, the server's copy of the conversation replaces what is on screen; it
      // holds the replies to anything just sent, so a retried message is never shown twice.
      if (!historyLoaded) await loadHistory();
      setConnection("ok");
      pollHandoff();
    } catch (error) {
      if (!(error instanceof Offline)) throw error;
      scheduleRetry();
    } finally {
      busy = false;
      typing.hidden = true;
    }
    if (outbox.length && connection === "ok") sync();
  }

  async function flush() {
    while (outbox.length && !exited) {
      const item = outbox[0];
      typing.hidden = false;
      const { id, text, payload, command } = item;
      // The force whose site this is (data-force): the anonymous daily counts are kept per force.
      const force = settings.force || undefined;
      const { status: code, data } = await post("api/message", { session: sessionId(), id, text, payload, command, force, ...languageFields(command) });
      if (exited || outbox[0] !== item) return;
      outbox.shift();
      saveOutbox();
      markPending(id, false);
      pendingNodes.delete(id);
      if (code === 200 && data && Array.isArray(data.replies)) {
        follow(data.language);
        renderReplies(data.replies, data.language);
      }
      else addMessage("notice", T.failed);
    }
  }

  async function loadHistory() {
    const { status: code, data } = await post("api/history", { session: sessionId() });
    if (code !== 200 || !data || !Array.isArray(data.messages)) throw new Offline(`history ${code}`);
    log.replaceChildren();
    const messages = data.messages;
    messages.forEach((m, i) => {
      const buttons = i === messages.length - 1 && Array.isArray(m.buttons) ? m.buttons : [];
      addMessage(m.from === "user" ? "user" : "bot", String(m.text || ""), buttons);
    });
    pendingNodes.clear();
    for (const item of outbox) showPending(item);
    historyLoaded = true;
    log.setAttribute("aria-live", "polite");
    if (!messages.length && !outbox.length && !store.get(KEYS.started) && isOpen) start();
  }

  function showPending(item) {
    if (item.command) return;
    pendingNodes.set(item.id, addMessage("user", item.title || item.text || ""));
    markPending(item.id, connection !== "ok");
  }

  function markPending(id, pending) {
    const node = pendingNodes.get(id);
    if (!node || node.classList.contains("aic-pending") === pending) return;
    node.classList.toggle("aic-pending", pending);
    if (pending) node.append(el("p", { class: "aic-pending-note", text: T.pending }));
    else node.querySelector(".aic-pending-note")?.remove();
  }

  function start() {
    store.set(KEYS.started, "1");
    queue({ id: randomId(), command: "start" });
  }

  function send(item) {
    removeChoices();
    store.set(KEYS.started, "1");
    showPending(item);
    queue(item);
  }

  function onSubmit(event) {
    event.preventDefault();
    const text = input.value.trim();
    input.focus();
    if (!text) return;
    input.value = "";
    send({ id: randomId(), text });
  }

  function choose(button) {
    // Focus first: the buttons are about to be removed.
    input.focus();
    send({ id: randomId(), payload: button.payload, title: button.title });
  }

  function restart() {
    removeChoices();
    input.focus();
    queue({ id: randomId(), command: "restart" });
  }

  // --- Hand-off to a person ------------------------------------------------------------------
  // While a person at the desk has (or is about to take) this conversation, their messages and
  // bot/'s notices are fetched from api/handoff every few seconds; nothing is kept locally.

  const HANDOFF_POLL_MS = 2000;
  let handoffCursor = null; // null until the first answer: then the open case is sent whole
  let handoffTimer = null;
  let handoffPolling = false;
  let handoffLeave = null;

  async function pollHandoff() {
    if (exited || handoffPolling || !session) return;
    handoffPolling = true;
    clearTimeout(handoffTimer);
    let again = false;
    try {
      const first = handoffCursor === null;
      const { status: code, data } = await post("api/handoff", { session, after: handoffCursor });
      if (code === 200 && data && Array.isArray(data.messages) && !exited) {
        for (const m of data.messages) {
          const text = String(m.text || "");
          // The person's own messages are on screen already, except after a reload.
          if (m.from === "user") first && addMessage("user", text);
          else if (m.from === "person") addMessage("bot", text, [], "aic-from-person", String(m.label || ""));
          else addMessage("bot", text);
        }
        handoffCursor = Number.isInteger(data.cursor) ? data.cursor : handoffCursor;
        again = Boolean(data.active);
        handoffLeave = data.leave || null;
        leaveButton.hidden = !(again && handoffLeave);
        if (handoffLeave) leaveButton.textContent = handoffLeave.title;
      }
    } catch (error) {
      if (!(error instanceof Offline)) throw error;
      again = true;
    } finally {
      handoffPolling = false;
    }
    if (again && !exited) handoffTimer = setTimeout(pollHandoff, HANDOFF_POLL_MS);
  }

  function leaveHandoff() {
    if (!handoffLeave) return;
    leaveButton.hidden = true;
    input.focus();
    send({ id: randomId(), payload: handoffLeave.payload, title: handoffLeave.title });
  }

  // --- Delete my conversation ----------------------------------------------------------------

  function showConfirm() {
    confirm.hidden = false;
    confirmYes.focus();
  }

  function hideConfirm(refocus) {
    confirm.hidden = true;
    if (refocus) deleteButton.focus();
  }

  async function deleteConversation() {
    confirmYes.disabled = true;
    try {
      const { status: code, data } = await post("api/forget", { session: sessionId() });
      if (code !== 200 || !data || !data.ok) throw new Offline("not deleted");
      outbox = [];
      pendingNodes.clear();
      store.clear();
      session = null;
      store.set(KEYS.open, "1");
      store.set(KEYS.started, "1");
      log.replaceChildren();
      hideConfirm(false);
      addMessage("notice", data.text || "");
      input.focus();
    } catch (error) {
      if (!(error instanceof Offline)) throw error;
      hideConfirm(false);
      addMessage("notice", T.deleteFailed);
      deleteButton.focus();
    } finally {
      confirmYes.disabled = false;
    }
  }

  // --- Quick exit (GOV.UK "Exit this page") ----------------------------------------------------

  // Forget everything this frame holds, and ask the server to delete the conversation.
  function forgetAll() {
    if (exited) return;
    exited = true;
    const leaving = session;
    session = null;
    clearTimeout(retryTimer);
    clearTimeout(handoffTimer);
    // Nothing of the conversation stays on screen or in this site's storage for the tab.
    store.clear();
    outbox = [];
    log.replaceChildren();
    input.value = "";
    panel.hidden = true;
    // The session id is gone, so nobody could come back to the conversation: delete it on the
    // server too. sendBeacon outlives the page; text/plain needs no CORS preflight.
    if (leaving) {
      try {
        navigator.sendBeacon(api("api/forget"), new Blob([JSON.stringify({ session: leaving })], { type: "text/plain" }));
      } catch {
        /* best effort */
      }
    }
  }

  // The exit button, or the page's "exit" (three Escapes counted there): forget, then the page
  // replaces itself, and its history entry, with the neutral site, so Back does not come here.
  function quickExit() {
    forgetAll();
    if (embedded) tell("exit");
    else window.location.replace(settings.exitUrl || DEFAULT_EXIT_URL);
  }

  // Escapes pressed in here are counted by the page, which also counts those pressed there.
  // Opened on its own (not in a frame), the frame counts them itself.
  let escapes = 0;
  let escapeTimer = null;
  document.addEventListener(
    "keydown",
    (event) => {
      if (event.key !== "Escape" || event.repeat) return;
      if (embedded) tell("escape");
      else countEscape();
    },
    true,
  );

  function countEscape() {
    escapes += 1;
    clearTimeout(escapeTimer);
    if (escapes >= 3) {
      escapes = 0;
      quickExit();
      return;
    }
    showEscapes(escapes);
    escapeTimer = setTimeout(() => showEscapes((escapes = 0)), 5000);
  }

  function showEscapes(count) {
    escapeDots.textContent = count ? "●".repeat(count) + "○".repeat(3 - count) : "";
    sr.textContent = count === 1 ? T.escapeProgress2 : count === 2 ? T.escapeProgress1 : "";
  }

  window.addEventListener("pageshow", (event) => {
    if (event.persisted && exited && !embedded) window.location.replace(settings.exitUrl || DEFAULT_EXIT_URL);
  });

  // --- Talking to the page ---------------------------------------------------------------------

  function tell(type, fields = {}) {
    if (!hostOrigin) return;
    window.parent.postMessage({ aic: "frame", type, ...fields }, hostOrigin);
  }

  window.addEventListener("message", (event) => {
    // Only the window that embeds this frame, from the origin it gave; anything else (another
    // frame on the page, a popup, a browser extension's window) is ignored.
    if (!hostOrigin || event.source !== window.parent || event.origin !== hostOrigin) return;
    const data = event.data;
    if (!data || typeof data !== "object" || data.aic !== "host") return;
    if (data.type === "open") openPanel(data.focus === true);
    else if (data.type === "close") closePanel();
    else if (data.type === "escapes" && [0, 1, 2].includes(data.count)) showEscapes(data.count);
    else if (data.type === "exit") {
      forgetAll();
      tell("exit");
    }
  });

  // --- Opening and closing (the page's launcher) ----------------------------------------------

  function openPanel(focus) {
    if (exited) return;
    isOpen = true;
    store.set(KEYS.open, "1");
    if (historyLoaded && !log.childElementCount && !outbox.length && !store.get(KEYS.started)) start();
    log.scrollTop = log.scrollHeight;
    if (focus) input.focus();
  }

  function closePanel() {
    isOpen = false;
    store.set(KEYS.open, "0");
    showEscapes(0);
  }

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  window.addEventListener("online", () => {
    retryDelay = 1000;
    sync();
  });
  window.addEventListener("offline", () => setConnection("offline"));

  function mount() {
    document.body.append(panel, sr);
    relabel();
    loadConfig();
    if (historyLoaded) log.setAttribute("aria-live", "polite");
    else for (const item of outbox) showPending(item);
    const wasOpen = store.get(KEYS.open);
    // The page opens the panel again after a reload if it was open (or when data-open says so
    // and the person has not closed it in this tab).
    tell("ready", { open: wasOpen === null ? null : wasOpen === "1", lang });
    if (!embedded) openPanel(false);
    if (!historyLoaded) sync();
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
