// Loaded after require.js and before the widget bundle (embed-amd.js), on pages with widgets.
(function () {
  "use strict";
  // 1. Each webpack bundle inside embed-amd.js finds its files (Font Awesome fonts) next to the
  //    URL RequireJS gives its module. Point every @jupyter-widgets module at this site's copy,
  //    or the fonts are fetched from a CDN or 404. (Longest prefix wins in RequireJS.)
  var dist = document.currentScript.src.replace(/[^/]*$/, "") + "html-manager/dist";
  window.require.config({
    paths: {
      "@jupyter-widgets": dist, // base, controls (+7): .../dist/controls.js
      "@jupyter-widgets/html-manager/dist": dist, // .../dist/libembed-amd.js
    },
  });

  // 2. ipywidgets 8 typesets labels through the MathJax 2 API, MathJax.Hub.Queue(["Typeset",
  //    MathJax.Hub, element]); Sphinx loads MathJax 3. Translate, waiting for MathJax to start.
  function typeset(el) {
    var mj = window.MathJax;
    if (!mj || !mj.typesetPromise) return;
    mj.startup.promise.then(function () { return mj.typesetPromise([el]); });
  }
  var Hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset") typeset(job[2]);
      }
    },
  };
  var mj = (window.MathJax = window.MathJax || {});
  if (mj.typesetPromise) {
    mj.Hub = Hub; // MathJax 3 already running
  } else {
    // MathJax 3 not loaded yet: it will replace window.MathJax; re-attach the shim once ready.
    mj.startup = mj.startup || {};
    var ready = mj.startup.ready;
    mj.startup.ready = function () {
      if (ready) ready(); else window.MathJax.startup.defaultReady();
      window.MathJax.Hub = Hub;
    };
    Object.defineProperty(mj, "Hub", { value: Hub, enumerable: false, configurable: true });
  }

  // 3. The widget bundle also brings Font Awesome 5 and gives it the classes .fas and .fab,
  //    which the theme's header buttons (launch, download, full screen) use. On widget pages the
  //    browser then fetched a second icon font (two files, 150 KB) for icons the theme's Font
  //    Awesome 6 already draws from the same code points. Keep the theme's font.
  var icons = document.createElement("style");
  icons.textContent =
    '.fas, .fa-solid { font-family: "Font Awesome 6 Free" !important; }\n' +
    '.fab, .fa-brands { font-family: "Font Awesome 6 Brands" !important; }';
  document.head.appendChild(icons);

  // 4. A slider's handle (role="slider") has no accessible name: screen readers announce "slider"
  //    without saying which. Name each handle after the label the widget shows beside it.
  function nameHandles(root) {
    root.querySelectorAll(".widget-slider").forEach(function (slider) {
      var label = slider.querySelector(".widget-label");
      var handle = slider.querySelector(".noUi-handle");
      if (label && handle && !handle.getAttribute("aria-label")) {
        var text = label.textContent.replace(/\\[()]/g, "").replace(/\\/g, "").trim();
        handle.setAttribute("aria-label", text || "slider"); // "angle \\(\\theta\\)" -> "angle theta"
      }
    });
  }
  new MutationObserver(function () { nameHandles(document); }).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
})();
