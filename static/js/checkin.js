// Sort the shelters by distance when the browser can tell where we are (optional).
(function () {
  var button = document.getElementById("locate");
  var form = document.getElementById("checkin-step2");
  if (!button || !form || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function (event) {
    event.preventDefault();
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lat.value = pos.coords.latitude.toFixed(6);
      form.elements.lon.value = pos.coords.longitude.toFixed(6);
      var relocate = document.createElement("input");
      relocate.type = "hidden";
      relocate.name = "relocate";
      relocate.value = "1";
      form.appendChild(relocate);
      form.submit();
    }, function () { button.hidden = true; }, { timeout: 10000, maximumAge: 60000 });
  });
})();
