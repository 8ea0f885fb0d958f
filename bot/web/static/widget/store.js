// What survives a reload, in localStorage: the session id and its token (issued by our web
// server; the token is what lets this browser, and only it, use the conversation), the rendered history (Rasa
// does not replay it) and whether the panel was open. Falls back to memory when storage is
// unavailable. Everything read back is re-validated: other scripts of the page can write there.
import { readCard } from "./card.js";

const MAX_ENTRIES = 200;
const MAX_TEXT = 10000;

function localStore() {
  try {
    const storage = window.localStorage;
    storage.setItem("qp-assistant:probe", "1");
    storage.removeItem("qp-assistant:probe");
    return storage;
  } catch (error) {
    return null;
  }
}

const isText = (value) => typeof value === "string" && value.length <= MAX_TEXT;

function cleanButtons(buttons) {
  if (!Array.isArray(buttons)) return [];
  return buttons
    .filter((b) => b && isText(b.title) && isText(b.payload) && b.title.trim())
    .map((b) => ({ title: b.title, payload: b.payload }));
}

function cleanEntry(entry) {
  if (!entry || (entry.from !== "user" && entry.from !== "bot") || !isText(entry.text)) return null;
  const at = isText(entry.at) && !Number.isNaN(Date.parse(entry.at)) ? entry.at : new Date().toISOString();
  const card = entry.from === "bot" ? readCard(entry.card) : null;
  return { from: entry.from, text: entry.text, buttons: cleanButtons(entry.buttons), at, ...(card ? { card } : {}) };
}

function parse(raw) {
  try {
    const value = JSON.parse(raw || "{}");
    return {
      sessionId: isText(value.sessionId) && value.sessionId ? value.sessionId : null,
      token: isText(value.token) && value.token ? value.token : null,
      history: (Array.isArray(value.history) ? value.history : []).map(cleanEntry).filter(Boolean),
      open: value.open === true,
    };
  } catch (error) {
    return { sessionId: null, token: null, history: [], open: false };
  }
}

export function createStore(key) {
  const storage = localStore();
  const state = parse(storage && storage.getItem(key));
  const save = () => {
    if (!storage) return;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        storage.setItem(key, JSON.stringify(state));
        return;
      } catch (error) {
        state.history.splice(0, Math.ceil(state.history.length / 2));   // quota: keep the recent half
      }
    }
  };
  return {
    get session() {
      return state.sessionId && state.token ? { id: state.sessionId, token: state.token } : null;
    },
    get history() { return state.history.slice(); },
    get open() { return state.open; },
    setSession(session) {
      state.sessionId = session.id;
      state.token = session.token;
      save();
    },
    setOpen(open) { state.open = open; save(); },
    add(entry) {
      const clean = cleanEntry(entry);
      if (!clean) return null;
      state.history.push(clean);
      state.history.splice(0, Math.max(0, state.history.length - MAX_ENTRIES));
      save();
      return clean;
    },
    clear() {
      state.sessionId = null;
      state.token = null;
      state.history = [];
      save();
    },
  };
}
