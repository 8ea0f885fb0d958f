// The conversation with Rasa's socket.io channel (rasa_extensions/channels.py). A conversation
// id is usable only with the token our web server issued with it (POST /widget/session):
// session_request {session_id, token} → session_confirm id, or session_refused when the
// token is not valid (then a new session is asked for, once); user_uttered {message,
// session_id, token, metadata} → bot_uttered {text, quick_replies}. socket.io-client
// reconnects by itself with a growing delay; every (re)connection asks for the same session
// again. Messages written while the first connection is being made wait for it; once a
// connection failed, they are refused (the caller keeps them) until the server is back.
import { io } from "../vendor/socket.io.esm.min.js";

const MAX_REFUSALS = 2;   // a new session refused too: the servers disagree, stop asking

function validSession(data) {
  return data && typeof data.session_id === "string" && data.session_id
    && typeof data.token === "string" && data.token
    ? { id: data.session_id, token: data.token } : null;
}

export function connect({ server, sessionUrl, session: stored, onSession, onMessage, onState }) {
  let session = stored && stored.id && stored.token ? stored : null;
  let confirmed = false;
  let failed = false;
  let refusals = 0;
  const pending = [];
  const socket = io(server, {
    transports: ["websocket"],   // no long-polling: no CORS preflight, no sticky-session need
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10000,
    timeout: 10000,
  });

  async function newSession() {
    const response = await fetch(sessionUrl, { method: "POST", credentials: "omit", cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const issued = validSession(await response.json());
    if (!issued) throw new Error("session invalide");
    session = issued;
    onSession(session);
  }

  async function requestSession() {
    try {
      if (!session) await newSession();
    } catch (error) {
      failed = true;
      onState("offline");
      return;
    }
    if (socket.connected) socket.emit("session_request", { session_id: session.id, token: session.token });
  }

  socket.on("connect", () => {
    confirmed = false;
    onState("connecting");
    requestSession();
  });
  socket.on("session_confirm", (id) => {
    if (session && id === session.id) {
      confirmed = true;
      failed = false;
      refusals = 0;
      onState("online");
      for (const data of pending.splice(0)) {
        socket.emit("user_uttered", { ...data, session_id: session.id, token: session.token });
      }
    }
  });
  socket.on("session_refused", () => {
    confirmed = false;
    refusals += 1;
    if (refusals > MAX_REFUSALS) {
      failed = true;
      onState("offline");
      return;
    }
    session = null;   // not (or no longer) valid: ask our server for a new one
    requestSession();
  });
  socket.on("bot_uttered", (message) => onMessage(message));
  socket.on("connect_error", () => {
    failed = true;
    onState("offline");
  });
  socket.on("disconnect", (reason) => {
    confirmed = false;
    failed = true;
    onState(reason === "io client disconnect" ? "closed" : "offline");
    // socket.io does not reconnect by itself after a disconnection decided by the server
    if (reason === "io server disconnect") setTimeout(() => socket.connect(), 2000);
  });

  return {
    get online() { return socket.connected && confirmed; },
    /** Sends a user message, or queues it during the first connection; false when offline. */
    send(message, metadata) {
      if (confirmed && socket.connected) {
        socket.emit("user_uttered", { message, session_id: session.id, token: session.token, metadata });
      } else if (!failed) {
        pending.push({ message, metadata });
      } else {
        return false;
      }
      return true;
    },
    /** A new conversation: forget the session and ask our server for a new one. */
    restart() {
      session = null;
      confirmed = false;
      refusals = 0;
      requestSession();
    },
    /** Try again now instead of waiting for the next automatic attempt. */
    retry() {
      refusals = 0;
      if (!socket.connected) {
        onState("connecting");
        socket.disconnect().connect();
      } else if (!confirmed) {
        onState("connecting");
        requestSession();
      }
    },
  };
}
