/* ColdSend Azure Connect inside the ColdSend app: events to the host page, and its appearance.
 *
 * Messages go only to the host origin named in the signed link (checked by the server against
 * PORTAL_FRAME_ANCESTORS), never to "*"; the browser delivers them only if that origin really
 * is the parent. Messages are accepted only from that origin, from the parent window.
 */
(() => {
  "use strict";

  const settings = JSON.parse(document.querySelector('meta[name="portal-embed"]')?.content || "{}");

  // The signed link's answer is the landing page itself: its own address replaces the link's
  // (whose token is spent) in the address bar and the history, as a page htmx can restore.
  const address = document.querySelector('meta[name="portal-address"]')?.content;
  if (address) history.replaceState({ htmx: true }, "", address);
  const hostOrigin = window.parent !== window && settings.origin ? settings.origin : null;

  function tell(type, detail = {}) {
    if (hostOrigin) {
      window.parent.postMessage({ source: "coldsend-azure-connect", type, ...detail }, hostOrigin);
    }
  }

  function applyAppearance({ theme, accent }) {
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
    if (typeof accent === "string" && /^#[0-9a-f]{6}$/i.test(accent)) {
      const [light, dark] = [LIGHT, DARK].map((scheme) => readable(accent, scheme));
      document.documentElement.style.setProperty("--accent", `light-dark(${light}, ${dark})`);
    }
  }

  // The host's accent fills buttons (under text of the page's background colour) and colours
  // links (on the background and on panels), so it must keep 4.5:1 (WCAG AA) against each, in
  // each scheme: darkened for the light scheme, lightened for the dark one, as far as needed.
  // The backgrounds are portal.css's --background and --panel.
  const LIGHT = { surfaces: ["#ffffff", "#f6f8fa"], step: -0.02 };
  const DARK = { surfaces: ["#0d1117", "#161b22"], step: 0.02 };
  function readable(hex, { surfaces, step }) {
    let [h, s, l] = hsl(hex);
    let color = hex.toLowerCase();
    // 50 steps of 2 % reach black or white, which pass on every surface.
    for (let i = 0; i < 50 && Math.min(...surfaces.map((surface) => contrast(color, surface))) < 4.5; i++) {
      l = Math.min(1, Math.max(0, l + step));
      color = fromHsl(h, s, l);
    }
    return color;
  }
  function channels(hex) {
    return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  }
  function luminance(hex) {  // WCAG 2.x relative luminance
    const [r, g, b] = channels(hex).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function contrast(a, b) {
    const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (high + 0.05) / (low + 0.05);
  }
  function hsl(hex) {
    const [r, g, b] = channels(hex);
    const max = Math.max(r, g, b), min = Math.min(r, g, b), l = (max + min) / 2, d = max - min;
    if (d === 0) return [0, 0, l];
    const s = d / (1 - Math.abs(2 * l - 1));
    const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
    return [(h * 60 + 360) % 360, s, l];
  }
  function fromHsl(h, s, l) {
    const c = (1 - Math.abs(2 * l - 1)) * s, x = c * (1 - Math.abs(((h / 60) % 2) - 1)), m = l - c / 2;
    const [r, g, b] = [[c, x, 0], [x, c, 0], [0, c, x], [0, x, c], [x, 0, c], [c, 0, x]][Math.floor(h / 60) % 6];
    return "#" + [r, g, b].map((v) => Math.round((v + m) * 255).toString(16).padStart(2, "0")).join("");
  }

  // A start is told once per verification; an end only after the page saw it running.
  const seen = new Map();
  // The account page's panel, or the list's status cells: each tells its verification's news.
  function tellVerification() {
    for (const watched of document.querySelectorAll("[data-verification-id]")) tellAbout(watched);
  }
  function tellAbout(watched) {
    const { accountId, verificationId, verificationState, failedStep, failedCode } = watched.dataset;
    const before = seen.get(verificationId);
    seen.set(verificationId, verificationState);
    const detail = { account_id: accountId, verification_id: verificationId, state: verificationState };
    if (verificationState === "running" && before !== "running") {
      tell("verification-started", detail);
    } else if (verificationState !== "running" && before === "running") {
      tell("verification-finished", { ...detail, failed_step: failedStep || null, code: failedCode || null });
    }
  }

  // Events the server queued for the next page, such as an account deleted before a redirect.
  function tellQueuedEvents() {
    const holder = document.getElementById("portal-events");
    if (!holder) return;
    for (const event of JSON.parse(holder.dataset.events)) tell(event.type, event);
    holder.remove();
  }

  // "Back to ColdSend" after a verification passed: only inside the app, which it tells.
  function offerDone() {
    if (!hostOrigin) return;
    for (const button of document.querySelectorAll("[data-portal-done]")) button.hidden = false;
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-portal-done]");
    if (button) tell("done", { account_id: button.dataset.portalDone });
  });

  // Copy buttons: the clipboard where the browser allows it (a cross-site iframe needs the
  // host's allow="clipboard-write"), else the text selected, for Ctrl+C.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy], [data-copy-text]");
    if (!button) return;
    const source = button.dataset.copy ? document.querySelector(button.dataset.copy) : button.previousElementSibling;
    const text = button.dataset.copyText ?? source.textContent.trim();
    const label = button.dataset.label || (button.dataset.label = button.textContent);
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      window.getSelection().selectAllChildren(source);
      button.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => { button.textContent = label; }, 3000);
  });

  // Times come as UTC and labelled so; shown again in the browser's own time zone, in the same
  // shape: "26 November 2026, 15:05 CET" (data-style "moment"), "15:05:30 CET" ("clock") or
  // "26 November 2026, 15:05:30 CET" ("instant").
  const DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric" });
  const ZONE = new Intl.DateTimeFormat("en-GB", { timeZoneName: "short" });
  function showLocalTimes() {
    for (const element of document.querySelectorAll("time[data-style]")) {
      const when = new Date(element.dateTime);
      const zone = ZONE.formatToParts(when).find((part) => part.type === "timeZoneName").value;
      const seconds = element.dataset.style === "moment" ? {} : { second: "2-digit" };
      const clock = when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", ...seconds });
      element.textContent = element.dataset.style === "clock" ? `${clock} ${zone}` : `${DAY.format(when)}, ${clock} ${zone}`;
    }
  }

  // Inside the app the iframe is as tall as its content, so a jump within the page (to #step-3,
  // to a field) moves nothing the customer sees: the host is asked to scroll there instead.
  function tellWhere(target) {
    if (target) tell("scroll-to", { top: Math.round(target.getBoundingClientRect().top + window.scrollY) });
  }
  // The address last arrived at: a poll's swap leaves the address as it is, and must leave
  // the view where the customer has scrolled it since, not take them back to #step-4.
  let arrivedAt = null;
  document.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#"]');
    if (link && link.hash.length > 1) {
      arrivedAt = link.href;
      tellWhere(document.getElementById(link.hash.slice(1)));
    }
  });
  // Arriving at a part of a page by its address: shown, and a field (#client_secret-field)
  // gets the focus, ready for the new value.
  function arrive() {
    if (location.href === arrivedAt) return;
    arrivedAt = location.href;
    const target = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
    if (!target) return;
    tellWhere(target);
    if (target.id.endsWith("-field")) target.querySelector("input, textarea")?.focus();
  }

  let toldHeight = 0;
  function tellHeight() {
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== toldHeight) {
      toldHeight = height;
      tell("resize", { height });
    }
  }

  // A file to save (data-download) is fetched with the session's header and saved from memory:
  // in an iframe whose cookies are blocked, a plain link would arrive with no session.
  document.addEventListener("click", async (event) => {
    const link = event.target.closest("a[data-download]");
    if (!link) return;
    event.preventDefault();
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    const response = await fetch(link.href, { headers }).catch(() => null);
    if (!response?.ok) {
      const notice = document.createElement("p");
      notice.className = "notice";
      notice.setAttribute("role", "status");
      notice.textContent = "We could not prepare this file just now. Try again in a moment.";
      document.getElementById("flashes")?.replaceChildren(notice);
      return;
    }
    const saved = document.createElement("a");
    saved.href = URL.createObjectURL(await response.blob());
    saved.download = link.getAttribute("download");
    saved.click();
    setTimeout(() => URL.revokeObjectURL(saved.href), 10000);
  });

  // htmx restores history (Back, Forward) with a request of its own that leaves out hx-headers;
  // without the session header, an iframe with no cookie would get "session ended" instead.
  document.addEventListener("htmx:historyCacheMiss", (event) => {
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    for (const [name, value] of Object.entries(headers)) {
      event.detail.xhr.setRequestHeader(name, value);
    }
  });

  // The server holds the panel's poll until the verification changes, so the next poll starts
  // when one ends: after "nothing changed yet" (204) at once or after its Retry-After (a
  // server that cannot hold it now), and after a pause when the request failed (network or
  // server down), so that an outage never turns into a flood of requests.
  const asksForNews = (elt) => elt.hasAttribute("data-verification-id") && elt.hasAttribute("hx-get");
  const isPoll = (elt) => asksForNews(elt) && elt.getAttribute("hx-trigger").includes("again");
  const passing = (status) => status === 0 || status === 429 || status >= 500;
  // A passing failure (the network, a restart, a busy database) keeps the panel as it was.
  // News the customer did not ask for by a click (a re-check, the result) replaces the whole
  // panel, so it keeps the reader's place by hand (the poll that follows a click replaces the
  // panel at once, and keeps it too): the focus, the instructions they opened ("How to do it
  // in Azure"), and the step they were reading, where it was on the screen.
  let readersPlace = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    // The element that asked, not the target (detail.elt): a click's form targets the panel too,
    // and its notice (a rate limit, a busy database) must show.
    if (!asksForNews(event.detail.requestConfig.elt)) return;
    if (passing(event.detail.xhr.status)) event.detail.shouldSwap = false;
    if (event.detail.shouldSwap) readersPlace = placeIn(event.detail.elt);
  });
  // An element of the panel as the next panel will have it: the nearest element with an id
  // around it, and which of the elements there of its kind and words it is ("Copy" buttons are
  // many, each in a step of its own).
  function keyOf(element) {
    const scope = element.parentElement.closest("[id]");
    const alike = [...scope.querySelectorAll(element.tagName)].filter((e) => e.textContent === element.textContent);
    return { scope: scope.id, tag: element.tagName, text: element.textContent, nth: alike.indexOf(element) };
  }
  function find(key) {
    const scope = document.getElementById(key.scope);
    return scope && [...scope.querySelectorAll(key.tag)].filter((e) => e.textContent === key.text)[key.nth];
  }
  // Inside the app the iframe is as tall as its content and the app's page scrolls, so what
  // the reader sees is known only from where the app's viewport cuts the steps: the step across
  // its top edge, and how far below that step's top the edge is (IntersectionObserver measures
  // against the app's viewport, even across origins).
  let viewportTop = null;  // {step: id, below: px from the step's top to the app's viewport top}
  const cutSteps = hostOrigin && new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const below = entry.intersectionRect.top - entry.boundingClientRect.top;
      if (entry.isIntersecting && below > 1) viewportTop = { step: entry.target.id, below };
      else if (viewportTop?.step === entry.target.id) viewportTop = null;
    }
  }, { threshold: Array.from({ length: 101 }, (_, n) => n / 100) });
  function watchSteps() {
    if (!cutSteps) return;
    cutSteps.disconnect();
    viewportTop = null;
    document.querySelectorAll(".journey-step").forEach((step) => cutSteps.observe(step));
  }
  function placeIn(panel) {
    const focused = panel.contains(document.activeElement) && document.activeElement !== panel ? document.activeElement : null;
    // The step the reader has on screen: the first one whose end is below the top.
    const step = window.scrollY > 0 && [...panel.querySelectorAll(".journey-step")].find((e) => e.getBoundingClientRect().bottom > 0);
    return {
      cut: viewportTop && { ...viewportTop },
      focus: focused && (focused.id ? { id: focused.id } : keyOf(focused)),
      // Where to put it if it is gone: its step's heading, or the verdict's.
      fallback: focused && (focused.closest(".journey-step")?.id ? `#${focused.closest(".journey-step").id} h2` : focused.closest(".verdict") && ".verdict h2"),
      opened: [...panel.querySelectorAll("details[open]")].map(keyOf),
      shown: step ? { id: step.id, top: step.getBoundingClientRect().top } : null,
    };
  }
  function goBackTo(place) {
    place.opened.map(find).forEach((details) => details?.setAttribute("open", ""));
    if (place.shown) {
      const step = document.getElementById(place.shown.id);
      if (step) window.scrollBy(0, step.getBoundingClientRect().top - place.shown.top);
    }
    // The new height first, so the app's page is tall enough for the scroll that follows.
    const cut = place.cut && document.getElementById(place.cut.step);
    if (cut) {
      tellHeight();
      tell("scroll-to", { top: Math.round(cut.getBoundingClientRect().top + window.scrollY + place.cut.below) });
    }
    watchSteps();
    if (!place.focus) return;
    // Gone with the news (Stop waiting once the wait is over, a verdict's words): its step's
    // heading, or the new verdict, instead.
    const focus = (place.focus.id ? document.getElementById(place.focus.id) : find(place.focus))
      || (place.fallback && document.querySelector(`#verification ${place.fallback}`));
    if (!focus) return;
    // A heading takes focus from a script only once it has a tabindex.
    if (focus.tabIndex < 0 && !focus.matches("a, button, input, summary")) focus.tabIndex = -1;
    focus.focus({ preventScroll: true });
  }
  document.addEventListener("htmx:afterRequest", (event) => {
    const panel = event.detail.elt;
    if (!isPoll(panel) || !panel.isConnected) return;
    const { xhr } = event.detail;
    if (xhr.status !== 204 && !passing(xhr.status)) return;  // a new panel polls by itself
    sayConnectionLost(panel, xhr.status === 0);
    const pause = Number(xhr.getResponseHeader("Retry-After")) || (xhr.status === 204 ? 0 : 2);
    setTimeout(() => panel.isConnected && htmx.trigger(panel, "again"), pause * 1000);
  });
  // A finished panel, or the list's rows, hold no poll (one would take a server thread for
  // every page left open): they ask once whenever the page is shown again, for what another tab
  // or person did meanwhile (Verify again, an edit, an account added or deleted).
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    document.querySelectorAll('[hx-trigger="shown"]').forEach((elt) => htmx.trigger(elt, "shown"));
  });
  // While the network is gone the panel says so, under its verdict, until a poll gets through.
  function sayConnectionLost(panel, lost) {
    if (!panel.querySelector(".verdict")) return;  // a list's status cell has no room for it
    let line = panel.querySelector(".connection-lost");
    if (lost && !line) {
      line = document.createElement("p");
      line.className = "connection-lost";
      line.textContent = "We lost the connection to Azure Connect. Trying again…";
      panel.querySelector(".verdict").append(line);
    } else if (!lost && line) {
      line.remove();
    }
  }
  // A click in the panel replaces the panel: focus goes where the click's outcome is read, not
  // to the page's top. A click within a step (Stop waiting at step 4, Register it for me at
  // step 6) keeps the customer at that step's heading; Verify again goes to the verdict.
  // A notice put in the page's notices (a rate limit) is brought into view.
  let clickedInPanel = false;
  let clickedStep = null;
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (!event.detail.elt.matches("#verification form")) return;
    clickedInPanel = true;
    clickedStep = event.detail.elt.closest('[id^="step-"]')?.id || null;
  });
  function focusAfterClick() {
    const heading = clickedStep && document.getElementById(clickedStep)?.querySelector("h2");
    if (!heading) return document.querySelector("#verification .verdict h2")?.focus();
    heading.tabIndex = -1;
    heading.focus();
    tellWhere(heading);
  }
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target?.id === "flashes" && event.detail.target.firstElementChild) {
      event.detail.target.scrollIntoView({ block: "nearest" });
      tellWhere(event.detail.target);
    } else if (clickedInPanel) {
      focusAfterClick();
    }
    clickedInPanel = false;
  });
  // A panel replaced by a click's answer (Verify again, Stop waiting), or a page left, lets go of
  // its held poll, so the server's thread is free at once. Aborted here, not with htmx:abort:
  // htmx 2 reports every abort it sees as a console error, and this one is no error. The panel
  // is being removed, so nothing of htmx's own bookkeeping for it is left to run.
  const heldPolls = new WeakMap();
  document.addEventListener("htmx:beforeSend", (event) => {
    const panel = event.detail.elt;
    if (panel.hasAttribute?.("data-verification-id")) heldPolls.set(panel, event.detail.xhr);
  });
  document.addEventListener("htmx:beforeCleanupElement", (event) => {
    const xhr = heldPolls.get(event.target);
    if (!xhr || xhr.readyState === XMLHttpRequest.DONE) return;
    xhr.onabort = null;
    xhr.abort();
  });

  window.addEventListener("message", (event) => {
    if (!hostOrigin || event.origin !== hostOrigin || event.source !== window.parent) return;
    if (event.data && event.data.type === "appearance") applyAppearance(event.data);
  });

  document.addEventListener("DOMContentLoaded", () => {
    applyAppearance(settings);
    tell("ready", { height: Math.ceil(document.body.getBoundingClientRect().height) });
    tellQueuedEvents();
    tellVerification();
    offerDone();
    showLocalTimes();
    arrive();
    watchSteps();
    new ResizeObserver(tellHeight).observe(document.body);
  });
  // New content shows its button and local times before it is first painted (after the swap,
  // not the settle 20 ms later), so it does not move again under the reader; then the reader's
  // place is found again in the content as it will be seen.
  document.addEventListener("htmx:afterSwap", () => {
    offerDone();
    showLocalTimes();
    if (readersPlace) goBackTo(readersPlace);
    readersPlace = null;
  });
  document.addEventListener("htmx:afterSettle", () => {
    tellQueuedEvents();
    tellVerification();
    arrive();
  });
})();
