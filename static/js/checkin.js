// Nearest shelters first. Choosing 避難所 asks the phone where it is before the list is
// loaded; without a location (no permission, no answer in time) the server lists them from
// the household's home. Without this script the list comes in that order, too.
(function () {
  var WAIT_MS = 10000;

  function locate(done) {
    var finished = false;
    function finish(pos) {
      if (finished) return;
      finished = true;
      done(pos);
    }
    setTimeout(function () { finish(null); }, WAIT_MS + 2000);
    navigator.geolocation.getCurrentPosition(finish, function () { finish(null); },
      { timeout: WAIT_MS, maximumAge: 60000 });
  }

  function fill(form, pos) {
    form.elements.lat.value = pos.coords.latitude.toFixed(6);
    form.elements.lon.value = pos.coords.longitude.toFixed(6);
  }

  if (!navigator.geolocation) return;

  // The first step: runs before the outbox script (listening on the document) sees the tap.
  var first = document.getElementById("checkin-step1");
  if (first && first.requestSubmit) {
    var hint = document.getElementById("locate-hint");
    var wait = document.getElementById("locate-wait");
    if (hint) hint.hidden = false;
    first.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (first.dataset.located || !submitter || submitter.value !== "at_shelter") return;
      if (!navigator.onLine) return;  // the page's own list of shelters is used offline
      event.preventDefault();
      event.stopImmediatePropagation();
      if (wait) wait.hidden = false;
      locate(function (pos) {
        if (pos) fill(first, pos);
        if (wait) wait.hidden = true;
        first.dataset.located = "1";
        first.requestSubmit(submitter);
        delete first.dataset.located;
      });
    });
  }

  // The second step, listed from home: the member may still ask for the nearest to here.
  var button = document.getElementById("locate");
  var form = document.getElementById("checkin-step2");
  if (!button || !form) return;
  button.hidden = false;
  button.addEventListener("click", function (event) {
    event.preventDefault();
    locate(function (pos) {
      if (!pos) { button.hidden = true; return; }
      fill(form, pos);
      var relocate = document.createElement("input");
      relocate.type = "hidden";
      relocate.name = "relocate";
      relocate.value = "1";
      form.appendChild(relocate);
      form.submit();
    });
  });
})();
