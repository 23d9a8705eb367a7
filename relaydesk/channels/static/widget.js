/*
 * Relaydesk chat widget. Plain JavaScript, no build step, no dependencies.
 *
 *   <script src="https://support.example.com/widget/widget.js"
 *           data-relaydesk="https://support.example.com" defer></script>
 *
 * Optional attributes: data-title ("Chat with us"), data-locale ("en"), data-name and
 * data-email (a signed-in shopper). data-relaydesk defaults to the script's own origin.
 *
 * The visitor token is kept in localStorage. Messages are sent to POST /widget/v1/messages and
 * new events are polled from GET /widget/v1/events every 2 seconds (10 when the tab is hidden).
 * Text is always rendered with textContent, never as HTML.
 */
(function () {
  "use strict";
  if (window.RelaydeskWidget) return;

  var script = document.currentScript || document.querySelector("script[data-relaydesk]");
  var attr = function (name, fallback) {
    var value = script && script.getAttribute("data-" + name);
    return value ? value : fallback;
  };
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var server = attr("relaydesk", scriptOrigin).replace(/\/+$/, "");
  var storageKey = "relaydesk:" + server;
  var POLL_MS = 2000;
  var HIDDEN_POLL_MS = 10000;
  var MAX_BACKOFF_MS = 30000;

  var state = {
    token: load("token"),
    after: 0,
    shown: {},
    pending: null, // {text, clientId}: kept until the server has it, so a retry is not a duplicate
    sending: false,
    failures: 0,
    pollTimer: null,
    unread: 0,
  };

  /* ---------- storage ---------- */
  function load(key) {
    try {
      return window.localStorage.getItem(storageKey + ":" + key);
    } catch (e) {
      return null;
    }
  }
  function save(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(storageKey + ":" + key);
      else window.localStorage.setItem(storageKey + ":" + key, value);
    } catch (e) {
      /* private mode: the chat lasts for this page only */
    }
  }
  function setToken(token) {
    state.token = token;
    save("token", token);
  }

  /* ---------- DOM ---------- */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "text") node.textContent = props[key];
      else if (key === "className") node.className = props[key];
      else node.setAttribute(key, props[key]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  var title = attr("title", "Chat with us");
  var ui = {};

  function build() {
    var link = el("link", { rel: "stylesheet", href: server + "/widget/widget.css" });
    document.head.appendChild(link);

    ui.badge = el("span", { className: "rd-badge", hidden: "", "aria-hidden": "true" });
    ui.open = el("button", {
      id: "relaydesk-open", className: "rd-open", type: "button",
      "aria-controls": "relaydesk-widget", "aria-expanded": "false", "aria-label": title,
    }, [el("span", { className: "rd-open-icon", "aria-hidden": "true" }), ui.badge]);

    ui.status = el("p", { id: "relaydesk-status", className: "rd-status", text: "We usually answer right away" });
    ui.close = el("button", {
      id: "relaydesk-close", className: "rd-close", type: "button", "aria-label": "Close chat",
    }, [el("span", { "aria-hidden": "true", text: "\u00d7" })]);
    var header = el("div", { className: "rd-header" }, [
      el("div", {}, [el("h2", { id: "relaydesk-title", className: "rd-title", text: title }), ui.status]),
      ui.close,
    ]);

    ui.messages = el("ol", {
      id: "relaydesk-messages", className: "rd-messages", role: "log",
      "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Conversation",
    });
    ui.empty = el("li", { className: "rd-empty", text: "Ask us anything about orders, sizing, returns or your account." });
    ui.messages.appendChild(ui.empty);
    ui.typing = el("div", { id: "relaydesk-typing", className: "rd-typing", hidden: "", role: "status" }, [
      el("span", { className: "rd-dots", "aria-hidden": "true" }, [el("i"), el("i"), el("i")]),
      el("span", { className: "rd-typing-text", text: "Sending\u2026" }),
    ]);
    ui.notice = el("p", { id: "relaydesk-notice", className: "rd-notice", role: "alert", hidden: "" });

    ui.input = el("textarea", {
      id: "relaydesk-input", className: "rd-input", rows: "2", maxlength: "10000",
      placeholder: "Type your message\u2026", autocomplete: "off",
    });
    ui.send = el("button", { id: "relaydesk-send", className: "rd-send", type: "submit", text: "Send" });
    ui.form = el("form", { id: "relaydesk-form", className: "rd-form", novalidate: "" }, [
      el("label", { for: "relaydesk-input", className: "rd-visually-hidden", text: "Your message" }),
      ui.input,
      ui.send,
    ]);

    ui.panel = el("section", {
      id: "relaydesk-widget", className: "rd-panel", hidden: "",
      role: "dialog", "aria-modal": "false", "aria-labelledby": "relaydesk-title",
    }, [header, ui.messages, ui.typing, ui.notice, ui.form]);

    ui.root = el("div", { id: "relaydesk-root", className: "rd-root" }, [ui.panel, ui.open]);
    document.body.appendChild(ui.root);

    ui.open.addEventListener("click", function () { setOpen(ui.panel.hidden, true); });
    ui.close.addEventListener("click", function () { setOpen(false, true); });
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      send();
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send();
      }
    });
    ui.root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !ui.panel.hidden) setOpen(false, true);
    });
    document.addEventListener("visibilitychange", function () { schedulePoll(0); });
  }

  // moveFocus: only when the visitor asked (a click, a key), never on page load.
  function setOpen(open, moveFocus) {
    ui.panel.hidden = !open;
    ui.open.setAttribute("aria-expanded", String(open));
    ui.root.classList.toggle("rd-is-open", open);
    if (open) {
      state.unread = 0;
      updateBadge();
      scrollToEnd();
      schedulePoll(0);
    }
    if (moveFocus) (open ? ui.input : ui.open).focus();
    save("open", open ? "1" : null);
  }

  function updateBadge() {
    ui.badge.hidden = state.unread === 0;
    ui.badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
    ui.open.setAttribute("aria-label", state.unread ? title + " (" + state.unread + " new)" : title);
  }

  function scrollToEnd() {
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  /* ---------- notices and states ---------- */
  function notify(text) {
    ui.notice.textContent = text || "";
    ui.notice.hidden = !text;
  }

  function setSending(sending) {
    state.sending = sending;
    ui.send.disabled = sending;
    ui.form.setAttribute("aria-busy", String(sending));
    ui.typing.hidden = !sending;
  }

  var STATUS_TEXT = {
    open: "We usually answer right away",
    waiting_for_human: "Waiting for a person \u2014 you can keep this page open",
    resolved: "Resolved \u2014 write again any time",
  };
  function setStatus(status, person) {
    if (!status) return;
    var text = STATUS_TEXT[status] || "";
    if (status === "assigned") text = person ? "You're chatting with " + person : "A person has joined";
    ui.status.textContent = text;
    ui.root.setAttribute("data-status", status);
  }

  /* ---------- rendering ---------- */
  function handoffHeadline(event) {
    var wait = event.wait || {};
    var line = "Passing you to " + (wait.team ? "our " + wait.team + " team" : "a person");
    if (wait.phrase) line += " \u2014 " + wait.phrase;
    else if (typeof wait.minutes === "number") line += " \u2014 about " + wait.minutes + " minute" + (wait.minutes === 1 ? "" : "s");
    return line;
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function renderEvent(event) {
    var role = event.role;
    var item = el("li", { className: "rd-msg rd-" + role, "data-id": String(event.id) });
    var who = { customer: "You", ai: "Assistant", handoff: "Handing over", human: event.author || "Support" }[role];
    item.appendChild(el("span", { className: "rd-author", text: who }));
    if (role === "handoff") item.appendChild(el("strong", { className: "rd-handoff-headline", text: handoffHeadline(event) }));
    item.appendChild(el("p", { className: "rd-text", text: event.text }));
    if (role === "ai" && event.sources && event.sources.length) {
      var list = el("ul", { className: "rd-sources", "aria-label": "Sources" });
      event.sources.forEach(function (source) {
        var url = safeUrl(source.url);
        var node = url
          ? el("a", { className: "rd-source", href: url, target: "_blank", rel: "noopener noreferrer", text: source.title })
          : el("span", { className: "rd-source", text: source.title });
        list.appendChild(el("li", {}, [node]));
      });
      item.appendChild(el("p", { className: "rd-sources-label", text: "Sources" }));
      item.appendChild(list);
    }
    return item;
  }

  function addEvents(events) {
    var added = 0;
    (events || []).forEach(function (event) {
      if (state.shown[event.id]) return;
      state.shown[event.id] = true;
      removePending(event);
      var item = renderEvent(event);
      // Keep id order even when a reply and a poll race.
      var next = null;
      Array.prototype.forEach.call(ui.messages.querySelectorAll(".rd-msg[data-id]"), function (node) {
        if (!next && Number(node.getAttribute("data-id")) > event.id) next = node;
      });
      ui.messages.insertBefore(item, next);
      if (event.role !== "customer") added += 1;
    });
    if (ui.messages.querySelector(".rd-msg")) ui.empty.hidden = true;
    if (added && ui.panel.hidden) {
      state.unread += added;
      updateBadge();
    }
    scrollToEnd();
  }

  function showPending(text) {
    var item = el("li", { className: "rd-msg rd-customer rd-pending" }, [
      el("span", { className: "rd-author", text: "You" }),
      el("p", { className: "rd-text", text: text }),
    ]);
    ui.messages.appendChild(item);
    ui.empty.hidden = true;
    scrollToEnd();
    return item;
  }

  function removePending(event) {
    if (event.role !== "customer") return;
    var pending = ui.messages.querySelector(".rd-pending");
    if (pending && pending.querySelector(".rd-text").textContent === event.text) pending.remove();
  }

  /* ---------- HTTP ---------- */
  function request(method, path, body) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers.Authorization = "Bearer " + state.token;
    return fetch(server + path, {
      method: method, headers: headers, mode: "cors", credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) return data;
        var error = new Error((data.error && data.error.message) || "HTTP " + response.status);
        error.status = response.status;
        error.retryAfter = Number(response.headers.get("Retry-After")) || 0;
        throw error;
      });
    });
  }

  // What the page tells us about the visitor; anything malformed is left out, not sent.
  var GIVEN = {
    name: /^[^\u0000]{1,255}$/,
    email: /^[^@\s]{1,160}@[^@\s]{1,159}$/,
    locale: /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/,
  };
  function startSession() {
    var given = {};
    Object.keys(GIVEN).forEach(function (key) {
      var value = attr(key, key === "locale" ? document.documentElement.lang : "").trim();
      if (GIVEN[key].test(value)) given[key] = value;
    });
    return request("POST", "/widget/v1/sessions", given).then(function (data) {
      setToken(data.token);
    });
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function friendly(error) {
    if (error.status === 429) {
      var wait = error.retryAfter || 5;
      return "You're sending messages a little fast. Please wait " + wait + " second" + (wait === 1 ? "" : "s") + " and try again.";
    }
    if (!error.status) return "We couldn't reach support \u2014 check your connection. Your message is still here; press Send to try again.";
    if (error.status >= 500) return "Something went wrong on our side. Your message is still here; please try again.";
    return error.message;
  }

  /* ---------- sending ---------- */
  function send() {
    if (state.sending) return;
    var text = ui.input.value.trim();
    if (!text) {
      notify("Type a message first.");
      ui.input.focus();
      return;
    }
    if (!state.pending || state.pending.text !== text) state.pending = { text: text, clientId: newClientId() };
    notify("");
    setSending(true);
    var bubble = showPending(text);
    ui.input.value = "";
    deliver(state.pending, true).then(function (data) {
      state.pending = null;
      bubble.remove();
      setToken(data.token);
      addEvents(data.events);
      setStatus(data.status);
      schedulePoll(POLL_MS);
    }).catch(function (error) {
      bubble.remove();
      if (!ui.messages.querySelector(".rd-msg")) ui.empty.hidden = false;
      // Never lose what was typed: put it back, ahead of anything typed since.
      ui.input.value = ui.input.value ? text + "\n" + ui.input.value : text;
      notify(friendly(error));
    }).then(function () {
      setSending(false);
      ui.input.focus();
    });
  }

  function deliver(pending, mayRestart) {
    var ready = state.token ? Promise.resolve() : startSession();
    return ready.then(function () {
      return request("POST", "/widget/v1/messages", { text: pending.text, client_id: pending.clientId });
    }).catch(function (error) {
      if (error.status === 401 && mayRestart) {
        // The chat expired or no longer exists: start a new one and send there.
        resetChat();
        return deliver(pending, false);
      }
      throw error;
    });
  }

  function resetChat() {
    setToken(null);
    state.after = 0;
  }

  /* ---------- polling ---------- */
  function schedulePoll(delay) {
    clearTimeout(state.pollTimer);
    if (!state.token) return;
    if (delay === undefined) delay = document.hidden || ui.panel.hidden ? HIDDEN_POLL_MS : POLL_MS;
    state.pollTimer = setTimeout(poll, delay);
  }

  function poll() {
    if (!state.token) return;
    request("GET", "/widget/v1/events?after=" + state.after).then(function (data) {
      state.failures = 0;
      if (ui.notice.getAttribute("data-kind") === "offline") {
        notify("");
        ui.notice.removeAttribute("data-kind");
      }
      addEvents(data.events);
      state.after = Math.max(state.after, data.next_after || 0);
      setStatus(data.status, data.human_agent);
      if (!data.conversation_id) return; // nothing written yet: the first message starts polling
      schedulePoll(data.more ? 0 : undefined);
    }).catch(function (error) {
      if (error.status === 401) {
        resetChat();
        return;
      }
      state.failures += 1;
      var delay = error.status === 429 && error.retryAfter
        ? error.retryAfter * 1000
        : Math.min(MAX_BACKOFF_MS, POLL_MS * Math.pow(2, state.failures));
      if (!error.status && state.failures >= 3) {
        notify("Reconnecting\u2026");
        ui.notice.setAttribute("data-kind", "offline");
      }
      schedulePoll(delay);
    });
  }

  /* ---------- start ---------- */
  function start() {
    build();
    if (load("open") === "1") setOpen(true, false);
    schedulePoll(0);
  }

  window.RelaydeskWidget = { open: function () { setOpen(true); }, close: function () { setOpen(false); } };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
