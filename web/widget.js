/*!
 * Asisten CS Kripto — embeddable web chat widget (plain JavaScript, no build step).
 *
 * Embed with one tag (the server that serves this file is the server the widget talks to):
 *   <script src="https://BOT-HOST/webhooks/webchat/widget.js" defer></script>
 * Optional attributes: data-title="…", data-open="true" (open on first visit),
 * data-server="https://…" (another Rasa server), data-socket-path="/socket.io/".
 * The page's origin must be listed in WEBCHAT_ORIGINS on the server.
 *
 * - Talks to Rasa's socket.io channel (events session_request / session_confirm, user_uttered,
 *   bot_uttered, reply_done) with the vendored socket.io client (web/vendor/socket.io.min.js, no CDN).
 * - The conversation survives reloads: the session id and the rendered messages are kept in
 *   localStorage (the server keeps the conversation under the same session id); "Mulai baru" clears
 *   both. When the server redacts a secret from a message, the widget's copy is redacted too.
 * - All text is inserted with textContent; only http(s) links become <a>, **bold** becomes <strong>.
 * - Reconnects on its own (server restart, network loss) and asks for the same session again.
 */
(function () {
  "use strict";

  if (window.KriptoCSWebchat) {
    return; // the tag is on the page twice
  }

  var script = document.currentScript || findScript();
  if (!script) {
    return;
  }
  var BASE = new URL(".", script.src).href; // …/webhooks/webchat/
  var SERVER = script.getAttribute("data-server") || new URL(script.src).origin;
  var SOCKET_PATH = script.getAttribute("data-socket-path") || "/socket.io/";
  var TITLE = script.getAttribute("data-title") || "Asisten CS Kripto";
  var STORE_KEY = "kripto-cs-webchat:" + SERVER;
  var MAX_STORED = 200;
  var MAX_INPUT = 4000;
  var TYPING_TIMEOUT_MS = 45000;

  var TEXT = {
    launcher: "Chat CS",
    region: "Obrolan dengan " + TITLE,
    log: "Riwayat percakapan",
    close: "Tutup obrolan",
    reset: "Mulai baru",
    resetLabel: "Mulai baru: percakapan baru, riwayat di perangkat ini dihapus",
    resetConfirm: "Mulai percakapan baru? Riwayat obrolan di perangkat ini akan dihapus.",
    input: "Tulis pesan",
    placeholder: "Tulis pertanyaan Anda…",
    send: "Kirim",
    you: "Anda: ",
    bot: "Asisten: ",
    choices: "Pilihan jawaban",
    typing: "Asisten sedang mengetik…",
    online: "Terhubung",
    connecting: "Menghubungkan…",
    reconnecting: "Koneksi terputus. Menyambung ulang…",
    unreachable: "Tidak dapat terhubung ke server. Mencoba lagi…",
    noClient: "Obrolan tidak dapat dimuat. Muat ulang halaman atau coba lagi nanti.",
    welcome: "Halo! Saya asisten virtual CS. Tanyakan seputar akun, deposit, penarikan, atau keamanan. " +
      "Jangan pernah membagikan kata sandi, kode OTP, atau frasa pemulihan (seed phrase).",
    attachment: "Lihat lampiran",
    note: "Jangan bagikan kata sandi, OTP, atau seed phrase kepada siapa pun."
  };

  function findScript() {
    var tags = document.getElementsByTagName("script");
    for (var i = tags.length - 1; i >= 0; i--) {
      if (/\/widget\.js(\?|#|$)/.test(tags[i].src)) {
        return tags[i];
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- storage

  function newId() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function isString(value, max) {
    return typeof value === "string" && value.length <= max;
  }

  function cleanButtons(buttons) {
    if (!Array.isArray(buttons)) {
      return [];
    }
    return buttons.filter(function (b) {
      return b && isString(b.title, 500) && isString(b.payload, 2000) && b.title && b.payload;
    }).slice(0, 20).map(function (b) { return { title: b.title, payload: b.payload }; });
  }

  function cleanMessage(m) {
    if (!m || (m.who !== "user" && m.who !== "bot") || !isString(m.text, 100000)) {
      return null;
    }
    var out = { who: m.who, text: m.text };
    if (isString(m.id, 64)) { out.id = m.id; }
    if (m.who === "bot") { out.buttons = cleanButtons(m.buttons); }
    if (isString(m.link, 2000)) { out.link = m.link; }
    return out;
  }

  function readStored() {
    try {
      return JSON.parse(window.localStorage.getItem(STORE_KEY) || "null"); // may throw when storage is blocked
    } catch (e) {
      return null;
    }
  }

  function loadState(stored) {
    if (!stored || !isString(stored.sessionId, 128) || !stored.sessionId) {
      return { sessionId: newId(), messages: [], open: false };
    }
    return {
      sessionId: stored.sessionId,
      open: stored.open === true,
      messages: (Array.isArray(stored.messages) ? stored.messages : []).map(cleanMessage).filter(Boolean)
    };
  }

  var stored = readStored();
  var firstVisit = stored === null;
  var state = loadState(stored);

  function saveState() {
    state.messages = state.messages.slice(-MAX_STORED);
    try {
      window.localStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (e) {
      // storage full or disabled: the conversation still works, it just does not survive a reload
    }
  }

  // ---------------------------------------------------------------- safe text formatting

  function safeUrl(raw) {
    try {
      var url = new URL(raw);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function appendLink(parent, label, url) {
    var href = safeUrl(url);
    if (!href) {
      parent.appendChild(document.createTextNode(label));
      return;
    }
    var a = document.createElement("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = label;
    parent.appendChild(a);
  }

  // [label](https://…) or a bare http(s) URL; everything else stays text.
  var LINK = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s()]+)\)|https?:\/\/[^\s<>"'`]+/gi;

  function appendWithLinks(parent, text) {
    var last = 0;
    text.replace(LINK, function (match, label, target, offset) {
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      if (label) {
        appendLink(parent, label, target);
        last = offset + match.length;
      } else {
        var url = match.replace(/[.,;:!?)\]}]+$/, ""); // trailing punctuation belongs to the sentence
        appendLink(parent, url, url);
        last = offset + url.length;
      }
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function appendInline(parent, line) {
    var parts = line.split(/\*\*([^*\n]+?)\*\*/); // odd indexes are bold
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) { continue; }
      if (i % 2) {
        var strong = document.createElement("strong");
        appendWithLinks(strong, parts[i]);
        parent.appendChild(strong);
      } else {
        appendWithLinks(parent, parts[i]);
      }
    }
  }

  function renderText(parent, text) {
    String(text).split("\n").forEach(function (line, i) {
      if (i) { parent.appendChild(document.createElement("br")); }
      appendInline(parent, line);
    });
  }

  // ---------------------------------------------------------------- DOM

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  var host = el("div");
  host.id = "kripto-cs-webchat";
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var stylesheet = el("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = BASE + "widget.css";

  var root = el("div", "kcs");
  root.hidden = true; // until the stylesheet is there
  root.setAttribute("lang", "id");
  stylesheet.onload = stylesheet.onerror = function () { root.hidden = false; };

  var launcher = el("button", "kcs-launcher", TEXT.launcher);
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "kcs-panel");

  var panel = el("section", "kcs-panel");
  panel.id = "kcs-panel";
  panel.hidden = true;
  panel.setAttribute("aria-label", TEXT.region);

  var header = el("header", "kcs-header");
  var heading = el("div", "kcs-heading");
  var title = el("h2", "kcs-title", TITLE);
  var status = el("p", "kcs-status", TEXT.connecting);
  status.setAttribute("role", "status");
  heading.appendChild(title);
  heading.appendChild(status);
  var resetButton = el("button", "kcs-reset", TEXT.reset);
  resetButton.type = "button";
  resetButton.setAttribute("aria-label", TEXT.resetLabel);
  var closeButton = el("button", "kcs-close", "\u00d7");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", TEXT.close);
  header.appendChild(heading);
  header.appendChild(resetButton);
  header.appendChild(closeButton);

  var log = el("div", "kcs-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.setAttribute("aria-label", TEXT.log);
  log.tabIndex = 0; // scrollable with the keyboard

  var typing = el("div", "kcs-typing");
  typing.hidden = true;
  typing.setAttribute("role", "status");
  typing.appendChild(el("span", "kcs-sr", TEXT.typing));
  for (var d = 0; d < 3; d++) {
    typing.appendChild(el("span", "kcs-dot")).setAttribute("aria-hidden", "true");
  }

  var form = el("form", "kcs-form");
  form.noValidate = true;
  var label = el("label", "kcs-sr", TEXT.input);
  label.htmlFor = "kcs-input";
  var input = el("input", "kcs-input");
  input.id = "kcs-input";
  input.type = "text";
  input.autocomplete = "off";
  input.maxLength = MAX_INPUT;
  input.placeholder = TEXT.placeholder;
  input.setAttribute("enterkeyhint", "send");
  var sendButton = el("button", "kcs-send", TEXT.send);
  sendButton.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);
  panel.appendChild(el("p", "kcs-note", TEXT.note));
  root.appendChild(launcher); // launcher first: Tab goes from it into the open panel
  root.appendChild(panel);
  shadow.appendChild(stylesheet);
  shadow.appendChild(root);

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function renderMessage(message, index) {
    var row = el("div", "kcs-msg kcs-" + message.who);
    row.setAttribute("data-index", String(index));
    var bubble = el("p", "kcs-bubble");
    bubble.appendChild(el("span", "kcs-sr", message.who === "user" ? TEXT.you : TEXT.bot));
    renderText(bubble, message.text);
    if (message.link) {
      bubble.appendChild(document.createElement("br"));
      appendLink(bubble, TEXT.attachment, message.link);
    }
    row.appendChild(bubble);
    if (message.buttons && message.buttons.length) {
      var group = el("div", "kcs-choices");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", TEXT.choices);
      message.buttons.forEach(function (choice) {
        var button = el("button", "kcs-choice", choice.title);
        button.type = "button";
        button.addEventListener("click", function (event) {
          sendText(choice.payload, choice.title);
          // the button is gone: keep a keyboard user in the chat (a tap must not pop up the phone keyboard)
          if (event.detail === 0) { input.focus(); }
        });
        group.appendChild(button);
      });
      row.appendChild(group);
    }
    return row;
  }

  function renderAll() {
    log.textContent = "";
    if (!state.messages.length) {
      log.appendChild(renderMessage({ who: "bot", text: TEXT.welcome }, -1));
    }
    state.messages.forEach(function (message, i) { log.appendChild(renderMessage(message, i)); });
    scrollToEnd();
  }

  function addMessage(message) {
    state.messages.push(message);
    if (state.messages.length > MAX_STORED) {
      state.messages = state.messages.slice(-MAX_STORED);
      saveState();
      renderAll();
      return;
    }
    saveState();
    log.appendChild(renderMessage(message, state.messages.length - 1));
    scrollToEnd();
  }

  function dropChoices() {
    var changed = false;
    state.messages.forEach(function (m) {
      if (m.buttons && m.buttons.length) { m.buttons = []; changed = true; }
    });
    if (changed) {
      saveState();
      Array.prototype.forEach.call(log.querySelectorAll(".kcs-choices"), function (g) { g.remove(); });
    }
  }

  var typingTimer = null;
  function setTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) {
      typingTimer = setTimeout(function () { typing.hidden = true; }, TYPING_TIMEOUT_MS);
      scrollToEnd();
    }
  }

  function setStatus(text) {
    if (status.textContent !== text) { status.textContent = text; }
  }

  function setOpen(open, moveFocus) {
    panel.hidden = !open;
    root.classList.toggle("kcs-open", open);
    launcher.setAttribute("aria-expanded", String(open));
    state.open = open;
    saveState();
    if (open) {
      scrollToEnd();
      if (moveFocus) { input.focus(); }
    } else if (moveFocus) {
      launcher.focus();
    }
  }

  // ---------------------------------------------------------------- socket.io

  var socket = null;
  var ioClient = null;   // the socket.io client factory, kept to open a fresh connection on "Mulai baru"
  var confirmed = false;
  var pending = [];
  var awaitingReply = null; // id of the last message sent: its reply_done ends the typing indicator

  function flush() {
    while (socket && socket.connected && confirmed && pending.length) {
      var item = pending.shift();
      if (item.session_id === state.sessionId) {
        socket.emit("user_uttered", item);
      }
    }
  }

  function sendText(message, shownAs) {
    var text = String(message).trim();
    if (!text) { return; }
    dropChoices();
    var id = newId();
    addMessage({ who: "user", text: shownAs || text, id: id });
    pending.push({ message: text, session_id: state.sessionId, message_id: id });
    awaitingReply = id;
    setTyping(true);
    flush();
  }

  function onBotMessage(data, ack) {
    if (!data || typeof data !== "object") { return; }
    // An agent's message (live handoff) carries an id and asks for an acknowledgement: the server keeps it
    // until the page confirms, and sends it again after a reconnect; an id shown before is not shown twice.
    var delivery = isString(data.delivery_id, 64) ? data.delivery_id : null;
    if (typeof ack === "function") { ack(true); }
    if (delivery && state.messages.some(function (m) { return m.delivery === delivery; })) { return; }
    var text = typeof data.text === "string" ? data.text : "";
    var buttons = cleanButtons(data.quick_replies || data.buttons);
    var link = null;
    var attachment = data.attachment;
    if (attachment && attachment.payload && typeof attachment.payload.src === "string") {
      link = safeUrl(attachment.payload.src);
    }
    if (!text && !buttons.length && !link) { return; } // custom payloads the widget cannot show
    setTyping(false);
    var message = { who: "bot", text: text, buttons: buttons };
    if (link) { message.link = link; }
    if (delivery) { message.delivery = delivery; }
    addMessage(message);
  }

  function onRedacted(data) {
    if (!data || !isString(data.message_id, 64) || typeof data.text !== "string") { return; }
    state.messages.forEach(function (m, i) {
      if (m.who === "user" && m.id === data.message_id) {
        m.text = data.text;
        var old = log.querySelector('[data-index="' + i + '"]');
        if (old) { log.replaceChild(renderMessage(m, i), old); }
      }
    });
    saveState();
  }

  function connect(io) {
    if (typeof io !== "function") {
      setStatus(TEXT.noClient);
      return;
    }
    ioClient = io;
    socket = io(SERVER, { path: SOCKET_PATH, reconnectionDelayMax: 5000, forceNew: true });
    socket.on("connect", function () {
      confirmed = false;
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (sessionId) {
      if (typeof sessionId !== "string" || sessionId !== state.sessionId) { return; }
      confirmed = true;
      setStatus(TEXT.online);
      flush();
    });
    socket.on("bot_uttered", onBotMessage);
    socket.on("user_redacted", onRedacted);
    // Every reply to a message is out, possibly none (an agent holds the conversation): stop "typing".
    socket.on("reply_done", function (data) {
      if (data && data.message_id === awaitingReply) { setTyping(false); }
    });
    socket.on("disconnect", function (reason) {
      confirmed = false;
      setStatus(TEXT.reconnecting);
      if (reason === "io server disconnect") { // the server closed this socket: no automatic retry
        setTimeout(function () { socket.connect(); }, 1000);
      }
    });
    socket.on("connect_error", function () {
      confirmed = false;
      setStatus(TEXT.unreachable);
    });
  }

  // Load the vendored client without leaving it (or clobbering another version) in window.io.
  function loadClient(done) {
    var hadIo = Object.prototype.hasOwnProperty.call(window, "io");
    var previousIo = window.io;
    var amd = typeof window.define === "function" && window.define.amd ? window.define : null;
    if (amd) { window.define = undefined; } // the UMD bundle would register with RequireJS instead
    var tag = document.createElement("script");
    tag.src = BASE + "vendor/socket.io.min.js";
    tag.async = true;
    function finish(ok) {
      var io = ok ? window.io : null;
      if (amd) { window.define = amd; }
      if (hadIo) { window.io = previousIo; } else { try { delete window.io; } catch (e) { window.io = undefined; } }
      tag.remove();
      done(io);
    }
    tag.onload = function () { finish(true); };
    tag.onerror = function () { finish(false); };
    document.head.appendChild(tag);
  }

  // ---------------------------------------------------------------- events

  launcher.addEventListener("click", function () { setOpen(panel.hidden, true); });
  closeButton.addEventListener("click", function () { setOpen(false, true); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      setOpen(false, true);
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    sendText(text);
  });
  resetButton.addEventListener("click", function () {
    if (state.messages.length && !window.confirm(TEXT.resetConfirm)) { return; }
    state = { sessionId: newId(), messages: [], open: true };
    pending = [];
    awaitingReply = null;
    confirmed = false;
    saveState();
    renderAll();
    setTyping(false);
    // A fresh connection: replies still on their way for the old session go to the old socket, not here.
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
      connect(ioClient);
    }
    input.focus();
  });

  function start() {
    document.body.appendChild(host);
    renderAll();
    var open = state.open || (firstVisit && script.getAttribute("data-open") === "true");
    if (open) { setOpen(true, false); }
    loadClient(connect);
  }

  window.KriptoCSWebchat = {
    open: function () { setOpen(true, true); },
    close: function () { setOpen(false, true); }
  };

  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
