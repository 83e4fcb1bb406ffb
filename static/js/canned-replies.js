// Ticket reply screen: picking a canned reply adds its text to the reply box.
(function () {
    "use strict";
    document.addEventListener("DOMContentLoaded", function () {
        var select = document.getElementById("id_canned_reply");
        var reply = document.getElementById("id_reply");
        var data = document.getElementById("canned-replies");
        if (!select || !reply || !data) { return; }
        var texts = JSON.parse(data.textContent);
        select.addEventListener("change", function () {
            var text = texts[select.value];
            if (!text) { return; }
            reply.value = reply.value.trim() ? reply.value.trimEnd() + "\n\n" + text : text;
            reply.focus();
        });
    });
})();
