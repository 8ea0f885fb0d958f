// Wiring: options → stored state → view → connection. The connection to Rasa is opened only
// when the visitor opens the assistant (or had it open before a reload), not on every page view.
import { readConfig } from "./config.js";
import { connect } from "./connection.js";
import { createStore } from "./store.js";
import { TEXT } from "./strings.js";
import { createView } from "./view.js";

const NO_ANSWER_MS = 60000;
const ERASE_REQUEST = "/supprimer_donnees";   // the intent of « supprimer mes données »
const ERASE_MARKER = "effacement";            // the erase confirmation's custom payload (catalog/erasure.py)

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
      if (!store.session && !store.history.length) {
        forget(TEXT.clearedHere);      // nothing was ever sent: nothing to erase on the server
      } else {
        view.askErase(erase);
      }
    },
    onRetry: () => connection && connection.retry(),
    onAidOpened: (aid) => aidOpened(aid),
  });

  // The observatory counts the aids whose official page was opened (bot/web/opened.py): the
  // conversation's id and token, and the aid's id; nothing waits for the answer. A simple
  // form post (no preflight), kept alive while the page opens the link elsewhere.
  function aidOpened(aid) {
    const session = store.session;
    if (!session || !session.id || !session.token) return;
    fetch(config.openedUrl, {
      method: "POST",
      body: new URLSearchParams({ session_id: session.id, token: session.token, aide: aid }),
      credentials: "omit",
      cache: "no-store",
      keepalive: true,
    }).catch(() => {});
  }

  let erasing = null;

  // The bin button: the assistant erases the conversation and the person's data (the same
  // request as writing « supprimer mes données »); this browser's copy goes once it confirms.
  function erase() {
    if (!connection || !connection.online || !connection.send(ERASE_REQUEST, metadata)) {
      view.setStatus(TEXT.eraseOffline, { alert: true });
      return;
    }
    view.setStatus(TEXT.erasing);
    view.setTyping(true);
    clearTimeout(erasing);
    erasing = setTimeout(() => {
      erasing = null;
      stopWaiting();
      view.setStatus(TEXT.eraseNoAnswer, { alert: true });
    }, NO_ANSWER_MS);
  }

  // Forget this browser's copy (history, session id) and start a new conversation.
  function forget(notice, options) {
    clearTimeout(erasing);
    erasing = null;
    store.clear();
    view.clearMessages();
    stopWaiting();
    if (connection) connection.restart();
    view.setStatus(notice, options);
  }

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

  let lastAnswer = "";

  function receive(message) {
    if (message && typeof message[ERASE_MARKER] === "string") {
      // Erased on the server (wholly, or partly with the rest to follow: the answer says so).
      if (message[ERASE_MARKER] === "fait") forget(TEXT.cleared);
      else forget(lastAnswer, { alert: true });
      return;
    }
    if (!message || typeof message.text !== "string" || !message.text.trim()) return;
    lastAnswer = message.text;
    if (erasing) {                    // the assistant answered the erasure request
      clearTimeout(erasing);
      erasing = null;
    }
    stopWaiting();
    if (!connectionTrouble) view.setStatus("");
    const buttons = validButtons(message);
    // An aid's card (rasa_extensions/channels.py sends it with its plain text): store.js
    // validates it, and keeps the text alone when it is not a valid card.
    const entry = store.add({ from: "bot", text: message.text, buttons, card: message.aid_card, at: new Date().toISOString() });
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
