// Relaydesk workspace: the few behaviours htmx 2 does not give by itself. No inline scripts
// anywhere (the Content-Security-Policy allows only files from this site).
(function () {
  "use strict";

  function showError(message, fromConnection) {
    const box = document.getElementById("flash");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    box.dataset.connection = fromConnection ? "lost" : "";
  }

  // htmx 2 does not swap 4xx/5xx responses. The workspace's own errors are HTML fragments
  // retargeted at #flash (HX-Retarget): swap those, so that the message is shown.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
    }
  });

  // Anything else that failed (a crash, a proxy in the way) still gets a visible message.
  document.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    if (!xhr.getResponseHeader("HX-Retarget") && !xhr.getResponseHeader("HX-Redirect")) {
      showError("Something went wrong (the server answered " + xhr.status + "). Please try again.");
    }
  });

  document.addEventListener("htmx:sendError", function () {
    showError("Cannot reach Relaydesk. Retrying…", true);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    const box = document.getElementById("flash");
    if (event.detail.successful && box && box.dataset.connection === "lost") {
      box.hidden = true;
      box.textContent = "";
      box.dataset.connection = "";
    }
  });

  // The transcript poll asks only for what is new: events after the last one shown, and
  // whether the claim this page shows is still the active one.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "transcript-poll") return;
    const shown = document.querySelectorAll("#transcript > .event");
    const last = shown.length ? shown[shown.length - 1].dataset.eventId : "0";
    const controls = document.getElementById("owner-controls");
    event.detail.parameters.after = last || "0";
    event.detail.parameters.claim = (controls && controls.dataset.claimToken) || "0";
  });

  function nearBottom(element) {
    return element.scrollHeight - element.scrollTop - element.clientHeight < 80;
  }

  let followTranscript = true;
  document.addEventListener("htmx:beforeSwap", function (event) {
    const transcript = document.getElementById("transcript");
    if (transcript && event.detail.target === transcript) {
      followTranscript = nearBottom(transcript);
    }
  });

  // A poll sent just before this page claimed (or replied) can come back with owner
  // controls for the claim the page already shows. Redrawing them would wipe a reply being
  // typed, so they are swapped only when the claim really changed; and then what the agent
  // had typed is kept.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const target = event.detail.target;
    if (!target || target.id !== "owner-controls") return;
    const incoming = event.detail.fragment.querySelector
      ? event.detail.fragment.querySelector("#owner-controls")
      : null;
    const token = incoming ? incoming.dataset.claimToken : null;
    if (token !== null && token === target.dataset.claimToken) {
      event.detail.shouldSwap = false;
      return;
    }
    const box = document.getElementById("reply-text");
    const draft = box ? box.value : "";
    if (!draft) return;
    setTimeout(function () {
      const fresh = document.getElementById("reply-text");
      if (fresh && !fresh.value) fresh.value = draft;
    }, 0);
  });

  // Two polls can overlap around an action: an event already shown is not shown twice.
  document.addEventListener("htmx:afterSwap", function (event) {
    const transcript = document.getElementById("transcript");
    if (!transcript || event.detail.target !== transcript) return;
    const seen = new Set();
    transcript.querySelectorAll(":scope > .event").forEach(function (item) {
      if (seen.has(item.dataset.eventId)) item.remove();
      else seen.add(item.dataset.eventId);
    });
    if (followTranscript) transcript.scrollTop = transcript.scrollHeight;
    refreshTimes();
  });

  // Relative times ("4 min ago") stay true while the page is open.
  function ago(seconds) {
    const minutes = Math.floor(Math.abs(seconds) / 60);
    if (seconds < 45) return "just now";
    if (minutes < 1) return "under a minute ago";
    if (minutes < 60) return minutes + " min ago";
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    if (hours < 24) return (rest ? hours + " h " + rest + " min" : hours + " h") + " ago";
    return Math.floor(hours / 24) + " d ago";
  }

  function refreshTimes() {
    const now = Date.now();
    document.querySelectorAll("time[data-relative]").forEach(function (element) {
      const moment = Date.parse(element.getAttribute("datetime"));
      if (!isNaN(moment)) element.textContent = ago((now - moment) / 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const transcript = document.getElementById("transcript");
    if (transcript) transcript.scrollTop = transcript.scrollHeight;
    window.setInterval(refreshTimes, 30000);
  });
})();
