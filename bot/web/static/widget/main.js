// Wiring: options → stored state → view → connection. The connection to Rasa is opened only
// when the visitor opens the assistant (or had it open before a reload), not on every page view.
import { readConfig } from "./config.js";
import { connect } from "./connection.js";
import { createStore } from "./store.js";
import { TEXT } from "./strings.js";
import { createView } from "./view.js";

const NO_ANSWER_MS = 60000;

function validButtons(message) {
  const buttons = Array.isArray(message.quick_replies) ? message.quick_replies
    : Array.isArray(message.buttons) ? message.buttons : [];
  return buttons
    .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
    .map((b) => ({ title: b.title, payload: b.payload }));
}

export function mount(dataset, assets) {
  const config = readConfig(dataset, assets);
  if (!config.server) return;
  const store = createStore(config.storageKey);
  const metadata = config.territory ? { territory: config.territory } : {};
  let connection = null;
  let waiting = null;
  let connectionTrouble = false;   // the status bar shows a connection state, not a notice

  const view = createView(config, {
    onOpen: () => open(true),
    onClose() {
      view.close();
      store.setOpen(false);
    },
    onSubmit: (text) => send(text),
    onReply: (button) => send(button.payload, button.title),
    onClear() {
      store.clear();
      view.clearMessages();
      stopWaiting();
      if (connection) connection.restart();
      view.setStatus(TEXT.cleared);
    },
    onRetry: () => connection && connection.retry(),
  });

  function stopWaiting() {
    clearTimeout(waiting);
    waiting = null;
    view.setTyping(false);
  }

  function send(text, shownAs) {
    const message = text.trim().slice(0, config.maxLength);
    if (!message) return false;
    if (!connection || !connection.send(message, metadata)) {
      view.setStatus(TEXT.notSent, { retryable: true, alert: true });
      return false;
    }
    if (!connectionTrouble) view.setStatus("");          // an older notice is done with
    const entry = store.add({ from: "user", text: shownAs || message, at: new Date().toISOString() });
    view.showMessage(entry);
    view.setTyping(true);
    clearTimeout(waiting);
    waiting = setTimeout(() => {
      stopWaiting();
      view.setStatus(TEXT.noAnswer, { alert: true });
    }, NO_ANSWER_MS);
    return true;
  }

  function receive(message) {
    if (!message || typeof message.text !== "string" || !message.text.trim()) return;
    stopWaiting();
    if (!connectionTrouble) view.setStatus("");
    const buttons = validButtons(message);
    const entry = store.add({ from: "bot", text: message.text, buttons, at: new Date().toISOString() });
    if (entry) view.showMessage(entry, entry.buttons);
  }

  function showState(state) {
    if (state === "online") {
      if (connectionTrouble) view.setStatus("");
      connectionTrouble = false;
    } else if (state === "connecting") {
      view.setStatus(TEXT.connecting);
      connectionTrouble = true;
    } else if (state === "offline") {
      stopWaiting();
      view.setStatus(TEXT.offline, { retryable: true, alert: true });
      connectionTrouble = true;
    }
  }

  function open(focus) {
    view.open({ focus });
    store.setOpen(true);
    if (!connection) {
      showState("connecting");
      connection = connect({
        server: config.server,
        sessionUrl: config.sessionUrl,
        session: store.session,
        onSession: (session) => store.setSession(session),
        onMessage: receive,
        onState: showState,
      });
    }
  }

  // History first (before the log is in the document, so it is not read out again), with
  // the quick replies of the last answer still usable.
  const history = store.history;
  const lastUser = history.map((entry) => entry.from).lastIndexOf("user");
  history.forEach((entry, index) => view.showMessage(entry, index > lastUser ? entry.buttons : []));
  view.setStatus("");
  document.body.append(view.host);
  if (store.open || config.openAtStart) open(false);   // no focus theft on page load
}
