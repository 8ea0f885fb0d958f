// One message of the conversation as a list item (a text bubble, or an aid's card), and the
// quick-reply buttons under it.
import { cardNode } from "./card.js";
import { el } from "./dom.js";
import { linkify } from "./linkify.js";
import { TEXT } from "./strings.js";

const clock = new Intl.DateTimeFormat("fr-FR", { hour: "2-digit", minute: "2-digit" });

export function messageItem(entry) {
  const author = entry.from === "user" ? TEXT.you : TEXT.bot;
  const bubble = entry.card ? cardNode(entry.card) : el("p", { className: "qp-bubble" }, [
    el("span", { className: "qp-sr-only", text: `${author} ` }),
    ...linkify(entry.text),
  ]);
  const sent = new Date(entry.at);
  const time = el("time", { className: "qp-time", attrs: { datetime: sent.toISOString() } }, [
    el("span", { className: "qp-sr-only", text: `${TEXT.sentAt} ` }),
    clock.format(sent),
  ]);
  return el("li", { className: `qp-message qp-message--${entry.from}` }, [bubble, time]);
}

export function quickReplies(buttons, onChoose) {
  const list = el("ul", { className: "qp-replies", attrs: { "aria-label": TEXT.replies } });
  for (const button of buttons) {
    const control = el("button", { className: "qp-reply", text: button.title, attrs: { type: "button" } });
    control.addEventListener("click", () => onChoose(button));
    list.append(el("li", {}, [control]));
  }
  return list;
}
