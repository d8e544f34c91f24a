// Loaded after require.js and before the widget bundle (embed-amd.js), on pages with widgets.
(function () {
  "use strict";
  // 1. The bundle finds its own files (Font Awesome fonts) next to the RequireJS module it is
  //    loaded as. Map that module to this site's copy, or the fonts are fetched from a CDN / 404.
  var here = document.currentScript.src.replace(/[^/]*$/, ""); // .../_static/_vendor/
  window.require.config({
    paths: { "@jupyter-widgets/html-manager/dist": here + "html-manager/dist" },
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
})();
