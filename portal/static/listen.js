/* "Escuchar" (issue 24): each player becomes one big button. A question's button reads the question,
   then its hint and its answers; an answer's button reads that answer. Nothing plays until pressed;
   pressing again, or another button, stops. Without this script the browser's own players remain. */
(function () {
  "use strict";
  var now = null;  // {clips, index, button}

  function stop() {
    if (!now) return;
    var clip = now.clips[now.index];
    if (clip) { clip.pause(); clip.currentTime = 0; }
    now.button.setAttribute("aria-pressed", "false");
    now = null;
  }

  function next(playing) {
    var clip = playing.clips[playing.index];
    if (!clip) { stop(); return; }
    clip.onended = function () { if (now === playing) { playing.index += 1; next(playing); } };
    var started = clip.play();
    if (started && started.catch) started.catch(function () { if (now === playing) stop(); });
    var following = playing.clips[playing.index + 1];
    if (following) following.preload = "auto";  // he asked for the whole question: no pause between its clips
  }

  function play(clips, button) {
    var again = now && now.button === button;
    stop();
    if (again) return;
    now = {clips: clips, index: 0, button: button};
    button.setAttribute("aria-pressed", "true");
    next(now);
  }

  function speaker() {  // the small buttons: the speaker alone (the page draws it once, as #bocina)
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    var use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", "#bocina");
    svg.setAttribute("aria-hidden", "true");
    svg.appendChild(use);
    var word = document.createElement("span");
    word.className = "listen-word";
    word.appendChild(svg);
    return word;
  }

  var boxes = document.querySelectorAll(".listen");
  Array.prototype.forEach.call(boxes, function (box) {
    var audio = box.querySelector("audio");
    if (!audio) return;
    var word = box.querySelector(".listen-word") || speaker();
    var scope = box.parentNode.closest(".question, .note") || box.parentNode;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "listen-button";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-label", audio.getAttribute("aria-label"));
    button.appendChild(word);
    audio.removeAttribute("controls");
    audio.hidden = true;
    box.insertBefore(button, audio);
    button.addEventListener("click", function () {
      play(box.hasAttribute("data-whole") ? Array.prototype.slice.call(scope.querySelectorAll("audio")) : [audio],
           button);
    });
  });
})();
