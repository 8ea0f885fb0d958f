// The conversation with Rasa's socket.io channel (session persistence on):
// session_request {session_id} → session_confirm id; user_uttered {message, session_id,
// metadata} → bot_uttered {text, quick_replies}. socket.io-client reconnects by itself with
// a growing delay; every (re)connection asks for the same session again. Messages written
// while the first connection is being made wait for it; once a connection failed, they are
// refused (the caller keeps them) until the server is back.
import { io } from "../vendor/socket.io.esm.min.js";

export function connect({ server, sessionId, onSession, onMessage, onState }) {
  let session = sessionId;
  let confirmed = false;
  let failed = false;
  const pending = [];
  const socket = io(server, {
    transports: ["websocket"],   // no long-polling: no CORS preflight, no sticky-session need
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10000,
    timeout: 10000,
  });

  socket.on("connect", () => {
    confirmed = false;
    onState("connecting");
    socket.emit("session_request", { session_id: session });
  });
  socket.on("session_confirm", (id) => {
    if (typeof id === "string" && id) {
      session = id;
      confirmed = true;
      failed = false;
      onSession(id);
      onState("online");
      for (const data of pending.splice(0)) socket.emit("user_uttered", { ...data, session_id: session });
    }
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
        socket.emit("user_uttered", { message, session_id: session, metadata });
      } else if (!failed) {
        pending.push({ message, metadata });
      } else {
        return false;
      }
      return true;
    },
    /** A new conversation: forget the session and ask Rasa for a new one. */
    restart() {
      session = null;
      confirmed = false;
      if (socket.connected) socket.emit("session_request", { session_id: null });
    },
    /** Try again now instead of waiting for the next automatic attempt. */
    retry() {
      if (!socket.connected) {
        onState("connecting");
        socket.disconnect().connect();
      }
    },
  };
}
