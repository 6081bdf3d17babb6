// A saved page: the view's render with a stand-in for anywidget's model, and the page's own
// keyboard (keys reach the widget wherever the focus is, except in a form control, which
// handles its own).
function mountPage(render, el, data) {
  const listeners = {};
  const model = {
    get: (key) => data[key],
    set: (key, value) => {
      data[key] = value;
    },
    save_changes: () => {},
    on: (event, fn) => {
      (listeners[event] = listeners[event] || []).push(fn);
    },
  };
  render({ model, el });
  const widget = el.firstElementChild;
  document.addEventListener("keydown", (ev) => {
    if (widget.contains(ev.target) || ev.target.tagName === "INPUT") return;
    widget.dispatchEvent(new KeyboardEvent("keydown", { key: ev.key, bubbles: false }));
  });
}
