// An aid of the recommendation drawn as a card (the `aid_card` of a bot message, built by
// catalog/cards.py): a heading with the aid's name, the amount, why, what to check, and a link
// to the official page whose name says which aid it is (and carries the aid's id, so that the
// widget can say the link was opened: main.js). Everything read is re-validated (the
// history in localStorage can be written by other scripts of the page); a message whose card is
// not valid is shown as its plain text.
import { el } from "./dom.js";
import { TEXT } from "./strings.js";

const MAX_LINE = 600;
const MAX_CHECKS = 3;

const AID_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;   // catalog/cards.py: AidCard.id

const isLine = (value) => typeof value === "string" && value.trim() !== "" && value.length <= MAX_LINE;

function safeUrl(value) {
  if (typeof value !== "string" || value.length > 2000) return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? value : null;
  } catch (error) {
    return null;
  }
}

/** The card, cleaned, or null when it is not one. */
export function readCard(card) {
  if (!card || typeof card !== "object") return null;
  const url = safeUrl(card.url);
  if (!isLine(card.name) || !isLine(card.why) || !url || !Number.isInteger(card.rank) || card.rank < 1) return null;
  const checks = Array.isArray(card.checks) ? card.checks.filter(isLine).slice(0, MAX_CHECKS) : [];
  return {
    id: typeof card.id === "string" && card.id.length <= 120 && AID_ID.test(card.id) ? card.id : null,
    rank: card.rank,
    name: card.name,
    amount: isLine(card.amount) ? card.amount : null,
    why: card.why,
    checks,
    url,
    note: isLine(card.note) ? card.note : null,
  };
}

function fact(term, details) {
  return [el("dt", { className: "qp-card-term", text: term }), el("dd", { className: "qp-card-detail" }, details)];
}

/** The card's content: goes where a message's text bubble would. */
export function cardNode(card) {
  const checks = card.checks.length > 1
    ? [el("ul", { className: "qp-card-checks" }, card.checks.map((check) => el("li", { text: check })))]
    : [card.checks[0] || TEXT.nothingToCheck];
  const link = el("a", {
    className: "qp-card-link",
    attrs: {
      href: card.url, target: "_blank", rel: "noopener noreferrer",
      ...(card.id ? { "data-aid": card.id } : {}),
    },
  }, [
    TEXT.officialPage,
    el("span", { className: "qp-sr-only", text: ` ${TEXT.ofAid(card.name)} ${TEXT.newWindow}` }),
  ]);
  return el("article", { className: "qp-bubble qp-card" }, [
    el("span", { className: "qp-sr-only", text: `${TEXT.bot} ` }),
    el("h3", { className: "qp-card-title" }, [
      el("span", { className: "qp-card-rank", text: `${card.rank}. ` }), card.name,
    ]),
    el("dl", { className: "qp-card-facts" }, [
      ...fact(TEXT.amount, [card.amount || TEXT.unknownAmount]),
      ...fact(TEXT.why, [card.why]),
      ...fact(TEXT.toCheck, checks),
    ]),
    ...(card.note ? [el("p", { className: "qp-card-note", text: card.note })] : []),
    el("p", { className: "qp-card-more" }, [link]),
  ]);
}
