/* ColdSend Azure Connect inside the ColdSend app: events to the host page, and its appearance.
 *
 * Messages go only to the host origin named in the signed link (checked by the server against
 * PORTAL_FRAME_ANCESTORS), never to "*"; the browser delivers them only if that origin really
 * is the parent. Messages are accepted only from that origin, from the parent window.
 */
(() => {
  "use strict";

  const settings = JSON.parse(document.querySelector('meta[name="portal-embed"]')?.content || "{}");
  const hostOrigin = window.parent !== window && settings.origin ? settings.origin : null;

  function tell(type, detail = {}) {
    if (hostOrigin) {
      window.parent.postMessage({ source: "coldsend-azure-connect", type, ...detail }, hostOrigin);
    }
  }

  function applyAppearance({ theme, accent }) {
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
    if (typeof accent === "string" && /^#[0-9a-f]{6}$/i.test(accent)) {
      document.documentElement.style.setProperty("--accent", accent);
    }
  }

  // A start is told once per verification; an end only after the page saw it running.
  const seen = new Map();
  function tellVerification() {
    const panel = document.getElementById("verification");
    if (!panel) return;
    const { accountId, verificationId, verificationState, failedStep, failedCode } = panel.dataset;
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
  // shape: "26 November 2026, 15:05 CET" (data-style "moment") or "15:05:30 CET" ("clock").
  const DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric" });
  const ZONE = new Intl.DateTimeFormat("en-GB", { timeZoneName: "short" });
  function showLocalTimes() {
    for (const element of document.querySelectorAll("time[data-style]")) {
      const when = new Date(element.dateTime);
      const zone = ZONE.formatToParts(when).find((part) => part.type === "timeZoneName").value;
      const seconds = element.dataset.style === "clock" ? { second: "2-digit" } : {};
      const clock = when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", ...seconds });
      element.textContent = element.dataset.style === "clock" ? `${clock} ${zone}` : `${DAY.format(when)}, ${clock} ${zone}`;
    }
  }

  let toldHeight = 0;
  function tellHeight() {
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== toldHeight) {
      toldHeight = height;
      tell("resize", { height });
    }
  }

  // htmx restores history (Back, Forward) with a request of its own that leaves out hx-headers;
  // without the session header, an iframe with no cookie would get "session ended" instead.
  document.addEventListener("htmx:historyCacheMiss", (event) => {
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    for (const [name, value] of Object.entries(headers)) {
      event.detail.xhr.setRequestHeader(name, value);
    }
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
    new ResizeObserver(tellHeight).observe(document.body);
  });
  document.addEventListener("htmx:afterSettle", () => {
    tellQueuedEvents();
    tellVerification();
    offerDone();
    showLocalTimes();
  });
})();
