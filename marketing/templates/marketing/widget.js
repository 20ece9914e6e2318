/* The trainer's website chat. Our own code, no dependencies: a bubble, a panel, plain-text messages. */
(function () {
  "use strict";
  var CONFIG = {{ config|safe }};
  if (!CONFIG.enabled || window.__fitCrmChat) { return; }
  window.__fitCrmChat = true;
  var script = document.currentScript;
  var base = new URL(script ? script.src : "/widget.js", window.location.href).origin;
  var VISITOR_KEY = "fitcrm-chat-visitor";
  var LOG_KEY = "fitcrm-chat-log";
  var CONSENT_KEY = "fitcrm-chat-consent";

  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ }
  }
  function load(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function visitorId() {
    var id = load(VISITOR_KEY);
    if (id && /^[A-Za-z0-9_-]{8,64}$/.test(id)) { return id; }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    store(VISITOR_KEY, id);
    return id;
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  var css = el("link");
  css.rel = "stylesheet";
  css.href = base + "/widget.css";
  document.head.appendChild(css);

  var root = el("div", "fcw-root");
  var bubble = el("button", "fcw-bubble", "💬");
  bubble.type = "button";
  bubble.setAttribute("aria-label", CONFIG.texts.open);
  bubble.setAttribute("aria-expanded", "false");
  var panel = el("section", "fcw-panel");
  panel.hidden = true;
  panel.setAttribute("aria-label", CONFIG.title);
  var header = el("header", "fcw-header");
  header.appendChild(el("span", "fcw-title", CONFIG.title));
  var close = el("button", "fcw-close", "×");
  close.type = "button";
  close.setAttribute("aria-label", CONFIG.texts.close);
  header.appendChild(close);
  var log = el("div", "fcw-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var form = el("form", "fcw-form");
  var input = el("textarea", "fcw-input");
  input.rows = 2;
  input.maxLength = CONFIG.maxChars;
  input.placeholder = CONFIG.texts.placeholder;
  input.setAttribute("aria-label", CONFIG.texts.placeholder);
  var send = el("button", "fcw-send", CONFIG.texts.send);
  send.type = "submit";
  // 152-FZ: the visitor agrees to the processing of their data before writing (remembered).
  var consentRow = el("label", "fcw-consent");
  var consent = el("input");
  consent.type = "checkbox";
  consent.checked = load(CONSENT_KEY) === "1";
  consentRow.appendChild(consent);
  consentRow.appendChild(document.createTextNode(" " + CONFIG.texts.consent + " ("));
  var policy = el("a", "", CONFIG.texts.policy);
  policy.href = CONFIG.policyUrl;
  policy.target = "_blank";
  policy.rel = "noopener";
  consentRow.appendChild(policy);
  consentRow.appendChild(document.createTextNode(")"));
  consent.addEventListener("change", function () { store(CONSENT_KEY, consent.checked ? "1" : "0"); });
  form.appendChild(consentRow);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(bubble);

  var history = [];
  try { history = JSON.parse(load(LOG_KEY) || "[]"); } catch (e) { history = []; }
  if (!Array.isArray(history)) { history = []; }

  function show(who, text, remember) {
    var line = el("div", "fcw-msg fcw-" + who, String(text));
    log.appendChild(line);
    log.scrollTop = log.scrollHeight;
    if (remember) {
      history.push([who, String(text)]);
      history = history.slice(-50);
      store(LOG_KEY, JSON.stringify(history));
    }
    return line;
  }
  show("bot", CONFIG.greeting, false);
  history.forEach(function (item) {
    if (Array.isArray(item) && (item[0] === "me" || item[0] === "bot")) { show(item[0], item[1], false); }
  });

  function toggle(open) {
    panel.hidden = !open;
    bubble.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { input.focus(); }
  }
  bubble.addEventListener("click", function () { toggle(panel.hidden); });
  close.addEventListener("click", function () { toggle(false); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || send.disabled) { return; }
    if (text.length > CONFIG.maxChars) { show("error", CONFIG.texts.tooLong, false); return; }
    if (!consent.checked) { show("error", CONFIG.texts.needConsent, false); consent.focus(); return; }
    show("me", text, true);
    input.value = "";
    send.disabled = true;
    var typing = show("bot fcw-typing", "…", false);
    fetch(base + "/api/chat/message", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({session: visitorId(), text: text, consent: true}),
      credentials: "omit",
      mode: "cors"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok || typeof data.reply !== "string") { throw new Error(data.error || CONFIG.texts.failed); }
        return data.reply;
      });
    }).then(function (reply) {
      typing.remove();
      show("bot", reply, true);
    }).catch(function (error) {
      typing.remove();
      show("error", error && error.message && error.message !== "Failed to fetch" ? error.message : CONFIG.texts.failed, false);
      input.value = input.value || text;
    }).then(function () {
      send.disabled = false;
    });
  });

  if (document.body) { document.body.appendChild(root); }
  else { document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(root); }); }
}());
