/* The dev host page's side of the embedding, as the ColdSend app would write it: size the
 * iframe to its content, log the portal's events, and send it an appearance. */
(() => {
  "use strict";

  document.addEventListener("DOMContentLoaded", () => {
    const frame = document.getElementById("portal");
    const portalOrigin = frame.dataset.portalOrigin;
    const log = document.getElementById("events");

    window.addEventListener("message", (event) => {
      // Only the portal's own origin, and only from the iframe: anything else is ignored.
      if (event.origin !== portalOrigin || event.source !== frame.contentWindow) return;
      const message = event.data;
      if (!message || message.source !== "coldsend-azure-connect") return;
      // The height is the content's: the frame's own border comes on top, or a wheel turned over
      // it scrolls those few pixels inside before the page moves.
      const border = frame.offsetHeight - frame.clientHeight;
      if (message.type === "resize") frame.style.height = `${message.height + border}px`;
      if (message.type === "scroll-to") {
        window.scrollTo({ top: frame.getBoundingClientRect().top + window.scrollY + message.top });
      }
      const entry = document.createElement("li");
      entry.dataset.type = message.type;
      entry.textContent = JSON.stringify(message);
      log.append(entry);
    });

    for (const button of document.querySelectorAll("[data-appearance]")) {
      button.addEventListener("click", () => {
        const appearance = JSON.parse(button.dataset.appearance);
        frame.contentWindow.postMessage({ type: "appearance", ...appearance }, portalOrigin);
      });
    }
  });
})();
