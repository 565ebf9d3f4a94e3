/*
 * Ask in Confidence: the script a police force embeds on its advice page.
 *
 *   <script src="https://HOST/widget/widget.js" defer
 *           data-force="gwent" data-colour="#1d4b8f" data-position="right"
 *           data-exit-url="https://www.bbc.co.uk/weather" data-lang="en"></script>
 *
 * On the force's page it draws only the launcher, an "Exit this page" button beside it while
 * the chat is closed, and the frame the conversation lives in: HOST/widget/frame, a page of
 * the assistant's own site (frame.js). What the person says, the session id and the messages
 * not yet sent stay in that frame's origin, out of reach of this page's scripts (analytics,
 * tag managers, session replay). This script keeps nothing in the page's storage, and reads
 * nothing from the network itself: the page's Content-Security-Policy needs the assistant's
 * host in script-src and frame-src only (its styles are a constructed stylesheet).
 *
 * The page and the frame talk by postMessage, each checking the other's window and origin,
 * and only about what the page needs (frame.js lists the messages): open and close, the
 * language chosen in the frame (to relabel the launcher), and the quick exit. Escape pressed
 * three times, here or in the frame, leaves: the frame forgets the conversation, then this
 * page replaces itself (and its history entry) with the neutral site.
 *
 * Plain JavaScript, no build step, no third-party code.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || window.askInConfidenceWidget) return;

  const STRINGS = {
    en: {
      launcherOpen: "Ask in Confidence",
      launcherClose: "Minimise chat",
      frameTitle: "Ask in Confidence",
      exit: "Exit this page",
      exitHint: "Or press Escape 3 times",
      escapeProgress2: "Escape pressed. Press it 2 more times to exit this page.",
      escapeProgress1: "Escape pressed. Press it once more to exit this page.",
    },
    // Welsh: terms from i18n/GLOSSARY.md, as in frame.js.
    cy: {
      launcherOpen: "Gofyn yn Gyfrinachol",
      launcherClose: "Lleihau'r sgwrs",
      frameTitle: "Gofyn yn Gyfrinachol",
      exit: "Gadael y dudalen hon",
      exitHint: "Neu pwyswch Escape 3 gwaith",
      escapeProgress2: "Escape wedi'i bwyso. Pwyswch e 2 waith eto i adael y dudalen hon.",
      escapeProgress1: "Escape wedi'i bwyso. Pwyswch e unwaith eto i adael y dudalen hon.",
    },
  };

  const attr = (name, fallback) => {
    const value = script.getAttribute(`data-${name}`);
    return value && value.trim() ? value.trim() : fallback;
  };
  let lang = STRINGS[attr("lang", "en")] ? attr("lang", "en") : "en";
  let T = STRINGS[lang];

  const DEFAULT_EXIT_URL = "https://www.bbc.co.uk/weather";
  const settings = {
    colour: attr("colour", attr("color", "#1d4b8f")),
    position: attr("position", "right") === "left" ? "left" : "right",
    exitUrl: safeUrl(attr("exit-url", "")) || DEFAULT_EXIT_URL,
    open: attr("open", "false") === "true",
  };
  const brand = brandColours(settings.colour);

  // The frame's address carries the settings it needs; nothing in it comes from the person.
  const frameUrl = new URL("frame", script.src);
  const frameOrigin = frameUrl.origin;
  const frameSettings = {
    force: attr("force", ""),
    colour: brand.hex,
    lang,
    unavailable: attr("unavailable-text", ""),
    // The frame talks to this origin only, and takes messages from this window only.
    host: window.location.origin,
  };
  for (const [key, value] of Object.entries(frameSettings)) if (value) frameUrl.searchParams.set(key, value);

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

  function brandColours(raw) {
    // The force's colour, darkened if needed so white text on it reaches the 4.5:1 contrast
    // WCAG AA asks for (frame.js checks the same for its own use of it).
    const probe = document.createElement("span");
    probe.style.color = raw;
    let rgb = parseRgb(probe.style.color) || [29, 75, 143];
    const lum = ([r, g, b]) => {
      const f = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    while (1.05 / (lum(rgb) + 0.05) < 4.6) rgb = rgb.map((c) => Math.max(0, Math.floor(c * 0.9)));
    return { css: `rgb(${rgb.join(", ")})`, hex: `#${rgb.map((c) => c.toString(16).padStart(2, "0")).join("")}` };
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

  // --- DOM (in a shadow root, so the page's CSS and ours never mix) --------------------------

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

  const host = document.createElement("div");
  host.setAttribute("data-ask-in-confidence", "");
  const shadow = host.attachShadow({ mode: "open" });
  // Set through the CSSOM, which a page's style-src does not restrict.
  host.style.setProperty("--aic-brand", brand.css);

  const sr = el("div", { class: "aic-visually-hidden", "aria-live": "polite" });
  const exitLabel = el("span", { class: "aic-exit-label", text: T.exit });
  const exitHint = el("span", { class: "aic-exit-hint", text: T.exitHint });
  const escapeDots = el("span", { class: "aic-escape-dots", "aria-hidden": "true" });
  const exitButton = el("button", { type: "button", class: "aic-exit", onclick: () => quickExit() }, exitLabel, exitHint, escapeDots);

  const launcherLabel = el("span", { text: T.launcherOpen });
  const launcher = el(
    "button",
    {
      type: "button",
      class: "aic-launcher",
      "aria-expanded": "false",
      "aria-controls": "aic-frame",
      onclick: () => (isOpen ? closePanel(true) : openPanel(true)),
    },
    el("span", { class: "aic-launcher-icon", "aria-hidden": "true" }),
    launcherLabel,
  );

  const frame = el("iframe", {
    id: "aic-frame",
    class: "aic-frame",
    title: T.frameTitle,
    src: frameUrl.toString(),
    // The assistant's site is told nothing of the page beyond the origin in the address.
    referrerpolicy: "no-referrer",
    hidden: true,
  });

  const root = el(
    "div",
    { class: `aic-root aic-${settings.position}`, lang },
    frame,
    el("div", { class: "aic-bar" }, exitButton, launcher),
    sr,
  );
  adoptStyles(shadow, styles());
  shadow.append(root);

  function adoptStyles(target, css) {
    // A constructed stylesheet needs no style-src in the page's Content-Security-Policy.
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      target.adoptedStyleSheets = [sheet];
    } catch {
      target.append(el("style", { text: css }));
    }
  }

  function relabel() {
    T = STRINGS[lang];
    root.setAttribute("lang", lang);
    launcherLabel.textContent = isOpen ? T.launcherClose : T.launcherOpen;
    exitLabel.textContent = T.exit;
    exitHint.textContent = T.exitHint;
    frame.title = T.frameTitle;
  }

  // --- Talking to the frame ------------------------------------------------------------------

  let frameReady = false;

  function tell(type, fields = {}) {
    if (frameReady && frame.contentWindow) frame.contentWindow.postMessage({ aic: "host", type, ...fields }, frameOrigin);
  }

  window.addEventListener("message", (event) => {
    // Only our frame's window, from the assistant's origin.
    if (!frame.contentWindow || event.source !== frame.contentWindow || event.origin !== frameOrigin) return;
    const data = event.data;
    if (!data || typeof data !== "object" || data.aic !== "frame") return;
    if (data.type === "ready") frameIsReady(data.open);
    else if (data.type === "lang" && STRINGS[data.lang]) {
      lang = data.lang;
      relabel();
    } else if (data.type === "escape") escapePressed();
    else if (data.type === "exit") leave();
  });

  function frameIsReady(wasOpen) {
    // Sent on each load of the frame: with the panel's state kept in the frame's storage (the
    // page keeps nothing), so a reload comes back as the person left it.
    frameReady = true;
    if (isOpen) tell("open", { focus: pendingFocus });
    else if (wasOpen === true || (wasOpen === null && settings.open)) openPanel(false);
    pendingFocus = false;
  }

  // --- Opening and closing -------------------------------------------------------------------

  let isOpen = false;
  let pendingFocus = false;

  function openPanel(focus) {
    if (exited) return;
    isOpen = true;
    frame.hidden = false;
    // The frame has its own exit button, at the top of the panel.
    exitButton.hidden = true;
    root.classList.add("aic-is-open");
    launcher.setAttribute("aria-expanded", "true");
    launcherLabel.textContent = T.launcherClose;
    sr.textContent = "";
    if (focus) frame.focus();
    if (frameReady) tell("open", { focus });
    else pendingFocus = focus;
  }

  function closePanel(focus) {
    isOpen = false;
    frame.hidden = true;
    exitButton.hidden = false;
    root.classList.remove("aic-is-open");
    launcher.setAttribute("aria-expanded", "false");
    launcherLabel.textContent = T.launcherOpen;
    tell("close");
    if (focus) launcher.focus();
  }

  // --- Quick exit (GOV.UK "Exit this page") ----------------------------------------------------

  let exited = false;
  let exitTimer = null;
  // How long the frame may take to forget the conversation before the page leaves anyway.
  const FORGET_WAIT_MS = 400;

  function quickExit() {
    if (exited) return;
    cover();
    // The frame forgets everything, then answers "exit"; leave() goes on at once.
    if (frameReady) {
      tell("exit");
      exitTimer = setTimeout(leave, FORGET_WAIT_MS);
    } else leave();
  }

  function cover() {
    // Cover the whole page at once: nothing of it shows while the tab leaves.
    exited = true;
    if (!root.querySelector(".aic-cover")) root.append(el("div", { class: "aic-cover" }));
  }

  function leave() {
    cover();
    clearTimeout(exitTimer);
    // Replaced, not pushed: Back does not come back here.
    window.location.replace(settings.exitUrl);
  }

  let escapes = 0;
  let escapeTimer = null;

  function escapePressed() {
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
    // While the panel is open, the frame shows and announces the count by its exit button.
    if (isOpen) tell("escapes", { count });
    sr.textContent = isOpen ? "" : count === 1 ? T.escapeProgress2 : count === 2 ? T.escapeProgress1 : "";
  }

  document.addEventListener(
    "keydown",
    (event) => {
      if (event.key === "Escape" && !event.repeat) escapePressed();
    },
    true,
  );

  // A page restored from the back/forward cache after an exit must not show anything.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && exited) leave();
  });

  function mount() {
    document.body.append(host);
  }

  window.askInConfidenceWidget = { open: () => openPanel(true), close: () => closePanel(false), exit: quickExit };

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });

  // --- Styles: the launcher, the exit button and the frame's box ------------------------------
  // Sizes in rem follow the reader's own font size; colours meet WCAG AA contrast.

  function styles() {
    return `
:host { all: initial; }

.aic-root {
  --aic-ink: #0b0c0c;
  --aic-focus: #ffdd00;
  --aic-exit: #b10e1e;
  position: fixed;
  bottom: 1rem;
  z-index: 2147483000;
  display: flex;
  flex-direction: column;
  align-items: flex-end;
  gap: 0.5rem;
  max-width: calc(100vw - 2rem);
  /* The frame shrinks to fit above the bar on short screens (200% zoom, landscape phones). */
  max-height: calc(100vh - 2rem);
  max-height: calc(100dvh - 2rem);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  font-size: 1rem;
  line-height: 1.45;
  color: var(--aic-ink);
}

.aic-right { right: 1rem; }
.aic-left { left: 1rem; align-items: flex-start; }

*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }

.aic-visually-hidden {
  position: absolute !important;
  width: 1px !important;
  height: 1px !important;
  margin: 0 !important;
  padding: 0 !important;
  overflow: hidden !important;
  clip: rect(0 0 0 0) !important;
  clip-path: inset(50%) !important;
  white-space: nowrap !important;
  border: 0 !important;
}

button { font: inherit; color: inherit; cursor: pointer; }

/* One focus style on every background: a yellow ring inside a black one (GOV.UK's colours). */
:focus-visible {
  outline: 3px solid var(--aic-ink);
  outline-offset: 2px;
  box-shadow: 0 0 0 2px var(--aic-focus);
}

.aic-frame {
  display: block;
  width: 24rem;
  max-width: 100%;
  height: 36rem;
  min-height: 0;
  flex: 0 1 auto;
  border: 1px solid #6f777b;
  border-radius: 0.5rem;
  background: #ffffff;
  color-scheme: light;
  box-shadow: 0 0.5rem 2rem rgba(11, 12, 12, 0.25);
}

.aic-bar { display: flex; flex-wrap: wrap; gap: 0.5rem; justify-content: flex-end; }
.aic-left .aic-bar { justify-content: flex-start; }

.aic-exit,
.aic-launcher {
  min-height: 2.75rem;
  padding: 0.5rem 1rem;
  border: 2px solid transparent;
  border-radius: 0.375rem;
  font-weight: 700;
  box-shadow: 0 2px 0 rgba(11, 12, 12, 0.4);
}

.aic-exit {
  display: inline-flex;
  flex-direction: column;
  align-items: flex-start;
  background: var(--aic-exit);
  color: #ffffff;
  text-align: left;
  line-height: 1.2;
}

.aic-exit-hint { font-size: 0.8125rem; font-weight: 400; }
.aic-escape-dots { font-size: 0.75rem; letter-spacing: 0.15em; }
.aic-escape-dots:empty { display: none; }

.aic-launcher {
  display: inline-flex;
  align-items: center;
  gap: 0.5rem;
  background: var(--aic-brand);
  color: #ffffff;
}

.aic-launcher-icon {
  width: 1.1rem;
  height: 0.9rem;
  border: 2px solid currentColor;
  border-radius: 0.35rem 0.35rem 0.35rem 0;
}

.aic-exit:hover,
.aic-launcher:hover { text-decoration: underline; }

.aic-cover { position: fixed; inset: 0; background: #ffffff; z-index: 2147483647; }

/* Narrow screens (320 px, or 200% zoom): the frame takes the full width. */
@media (max-width: 30rem) {
  .aic-root {
    bottom: 0.5rem;
    max-width: calc(100vw - 1rem);
    max-height: calc(100vh - 1rem);
    max-height: calc(100dvh - 1rem);
  }
  .aic-right { right: 0.5rem; }
  .aic-left { left: 0.5rem; }
  .aic-frame { width: calc(100vw - 1rem); }
  .aic-bar { flex-wrap: nowrap; width: 100%; }
  .aic-exit, .aic-launcher { flex: 1 1 50%; padding: 0.375rem 0.625rem; }
}

@media (forced-colors: active) {
  .aic-exit, .aic-launcher, .aic-frame { border: 2px solid ButtonText; }
}
`;
  }
})();
