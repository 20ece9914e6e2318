// Bot preview: keep the newest bubble in view and clear the input after sending.
(function () {
  "use strict";
  function scrollChat() {
    var list = document.querySelector("#preview-chat .bot-chat");
    if (list) { list.scrollTop = list.scrollHeight; }
  }
  document.addEventListener("DOMContentLoaded", scrollChat);
  document.addEventListener("htmx:afterSwap", scrollChat);
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest(".preview-send");
    if (form && event.detail.successful) { form.reset(); }
  });
})();
