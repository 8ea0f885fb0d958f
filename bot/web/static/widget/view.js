// The widget's DOM, in a shadow root so that the page's styles and ours never mix:
// a launcher button, and a non-modal dialog with the message log (aria-live), the
// connection status, the typing indicator and the message form.
import { el, icon, ICONS } from "./dom.js";
import { messageItem, quickReplies } from "./messages.js";
import { TEXT } from "./strings.js";
import { themeProperties } from "./colors.js";

const FULL_SCREEN = "(max-width: 36em), (max-height: 36em)";   // same as widget.css

function iconButton(className, label, pathData) {
  return el("button", { className: `qp-icon-button ${className}`, attrs: { type: "button", title: label } }, [
    icon(pathData),
    el("span", { className: "qp-sr-only", text: label }),
  ]);
}

export function createView(config, handlers) {
  const host = el("div", { attrs: { "data-qp-assistant": "" } });
  host.hidden = true;                       // until the stylesheet is loaded
  for (const [name, value] of Object.entries(themeProperties(config))) host.style.setProperty(name, value);
  const root = host.attachShadow({ mode: "open" });
  const stylesheet = el("link", { attrs: { rel: "stylesheet", href: new URL("widget/widget.css", config.assets).href } });
  stylesheet.addEventListener("load", () => { host.hidden = false; }, { once: true });
  stylesheet.addEventListener("error", () => { host.hidden = false; }, { once: true });

  const launcher = el("button", { className: "qp-launcher", attrs: { type: "button", "aria-expanded": "false", "aria-controls": "qp-panel" } }, [
    icon(ICONS.chat), el("span", { text: TEXT.launcher }),
  ]);
  const clear = iconButton("qp-clear", TEXT.clear, ICONS.erase);
  const close = iconButton("qp-close", TEXT.close, ICONS.close);
  const header = el("div", { className: "qp-header" }, [
    el("h2", { className: "qp-title", text: config.title, attrs: { id: "qp-title" } }), clear, close,
  ]);
  const status = el("p", { className: "qp-status-text", attrs: { role: "status" } });
  const retry = el("button", { className: "qp-retry", text: TEXT.retry, attrs: { type: "button" } });
  retry.hidden = true;
  const statusBar = el("div", { className: "qp-status" }, [status, retry]);
  // Asked before erasing: the bin button erases on the server too, for good.
  const confirmErase = el("button", { className: "qp-retry qp-confirm", text: TEXT.confirm, attrs: { type: "button" } });
  const cancelErase = el("button", { className: "qp-retry qp-cancel", text: TEXT.cancel, attrs: { type: "button" } });
  const question = el("div", { className: "qp-status qp-status--alert qp-question", attrs: { role: "group", "aria-labelledby": "qp-question-text" } }, [
    el("p", { className: "qp-status-text", text: TEXT.confirmErase, attrs: { id: "qp-question-text" } }), confirmErase, cancelErase,
  ]);
  question.hidden = true;
  let onConfirm = null;
  const messages = el("ol", { className: "qp-messages" });
  const log = el("div", { className: "qp-log", attrs: { role: "log", "aria-live": "polite", "aria-label": TEXT.log, tabindex: "0" } }, [
    el("div", { className: "qp-intro" }, [el("p", { text: TEXT.intro }), el("p", { className: "qp-privacy", text: TEXT.privacy })]),
    messages,
  ]);
  const typing = el("p", { className: "qp-typing" }, [
    el("span", { className: "qp-dots", attrs: { "aria-hidden": "true" } }, [el("span"), el("span"), el("span")]),
    el("span", { text: TEXT.typing }),
  ]);
  typing.hidden = true;

  const input = el("textarea", { className: "qp-input", attrs: {
    id: "qp-input", name: "message", rows: "2", maxlength: String(config.maxLength),
    placeholder: TEXT.placeholder, "aria-describedby": "qp-hint qp-counter", autocomplete: "off",
  } });
  const counter = el("p", { className: "qp-counter", text: TEXT.counter(0, config.maxLength), attrs: { id: "qp-counter" } });
  const send = el("button", { className: "qp-send", attrs: { type: "submit" } }, [icon(ICONS.send), el("span", { text: TEXT.send })]);
  const form = el("form", { className: "qp-form", attrs: { novalidate: "" } }, [
    el("label", { className: "qp-label", text: TEXT.inputLabel, attrs: { for: "qp-input" } }),
    el("p", { className: "qp-hint", text: TEXT.hint, attrs: { id: "qp-hint" } }),
    el("div", { className: "qp-compose" }, [input, send]),
    counter,
  ]);
  const panel = el("section", { className: "qp-panel", attrs: { id: "qp-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "qp-title" } }, [
    header, question, statusBar, log, typing, form,
  ]);
  panel.hidden = true;
  root.append(stylesheet, el("div", { className: `qp-root qp-root--${config.position}` }, [launcher, panel]));

  // --- behaviour -------------------------------------------------------------------------
  const updateCounter = () => {
    const count = input.value.length;
    counter.textContent = count >= config.maxLength ? TEXT.limitReached(config.maxLength) : TEXT.counter(count, config.maxLength);
    counter.classList.toggle("qp-counter--full", count >= config.maxLength);
  };
  input.addEventListener("input", updateCounter);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (handlers.onSubmit(input.value)) {
      input.value = "";
      updateCounter();
    }
    input.focus();
  });
  launcher.addEventListener("click", () => handlers.onOpen());
  close.addEventListener("click", () => handlers.onClose());
  clear.addEventListener("click", () => handlers.onClear());
  retry.addEventListener("click", () => handlers.onRetry());
  // An aid's official link opened (a click, Enter, or the middle button): main.js says so to
  // our web server; the link opens in any case.
  const linkOpened = (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.qp-card-link[data-aid]") : null;
    if (link && (event.type === "click" || event.button === 1)) handlers.onAidOpened(link.dataset.aid);
  };
  messages.addEventListener("click", linkOpened);
  messages.addEventListener("auxclick", linkOpened);
  const closeQuestion = () => {
    question.hidden = true;
    onConfirm = null;
    clear.focus();
  };
  confirmErase.addEventListener("click", () => {
    const confirmed = onConfirm;
    closeQuestion();
    if (confirmed) confirmed();
  });
  cancelErase.addEventListener("click", closeQuestion);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !question.hidden) {
      event.preventDefault();
      closeQuestion();                // Escape first answers « no » to the question
    } else if (event.key === "Escape") {
      event.preventDefault();
      handlers.onClose();
    } else if (event.key === "Tab" && window.matchMedia(FULL_SCREEN).matches) {
      keepFocusInside(event);       // the panel covers the page: do not tab into hidden content
    }
  });
  function keepFocusInside(event) {
    const focusable = [...panel.querySelectorAll("button, textarea, a[href], [tabindex='0']")]
      .filter((node) => !node.disabled && !node.closest("[hidden]"));
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && root.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && root.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  const removeReplies = () => messages.querySelectorAll(".qp-replies").forEach((node) => node.remove());

  // Scroll to the newest message, but never past the start of the answer to the user's
  // last message, so that a long answer is read from its beginning.
  const scroll = () => {
    const users = messages.querySelectorAll(".qp-message--user");
    const lastUser = users[users.length - 1];
    const bottom = log.scrollHeight - log.clientHeight;
    log.scrollTop = lastUser ? Math.min(bottom, lastUser.offsetTop - 8) : bottom;
  };

  return {
    host,
    get isOpen() { return !panel.hidden; },
    open({ focus = true } = {}) {
      panel.hidden = false;
      launcher.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      scroll();
      if (focus) input.focus();
    },
    close() {
      panel.hidden = true;
      launcher.hidden = false;
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    },
    showMessage(entry, replies = []) {
      if (entry.from === "user") removeReplies();
      const item = messageItem(entry);
      if (replies.length) {
        item.append(quickReplies(replies, (button) => {
          handlers.onReply(button);
          input.focus();
        }));
      }
      messages.append(item);
      scroll();
    },
    /** Ask before erasing; `confirmed` runs only if the visitor says yes. */
    askErase(confirmed) {
      onConfirm = confirmed;
      question.hidden = false;
      cancelErase.focus();
    },
    clearMessages() {
      messages.replaceChildren();
    },
    setTyping(visible) {
      typing.hidden = !visible;
      if (visible) scroll();
    },
    setStatus(text, { retryable = false, alert = false } = {}) {
      status.textContent = text;
      statusBar.classList.toggle("qp-status--alert", alert);
      statusBar.hidden = !text;
      retry.hidden = !retryable;
    },
    restoreDraft(text) {
      input.value = text;
      updateCounter();
    },
  };
}
