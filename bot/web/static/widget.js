/* Quartiers productifs — the one script a website embeds to offer the chat assistant.

     <script src="https://ASSISTANT/static/widget.js" defer
             data-server="https://ASSISTANT-RASA" data-territory="roubaix"
             data-title="Assistant des aides aux entreprises"
             data-primary-color="#000091"></script>

   This classic script only reads its data attributes; the widget's modules, styles and the
   socket.io client come from the same server (nothing from a CDN), so the embedding page's
   Content-Security-Policy needs that server in script-src, style-src and connect-src (the
   widget asks it for its conversation id, POST /widget/session), and the Rasa server in
   connect-src (https: and wss:). No inline script or style is used. */
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || !script.src || !("attachShadow" in Element.prototype)) return;
  const assets = new URL(".", script.src).href;         // …/static/
  const options = Object.assign({}, script.dataset);
  const start = () => {
    import(new URL("widget/main.js", assets).href)
      .then((widget) => widget.mount(options, assets))
      .catch((error) => console.error("Assistant Quartiers productifs : chargement impossible.", error));
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start, { once: true });
  } else {
    start();
  }
})();
