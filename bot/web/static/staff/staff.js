// Shared by the staff pages (/inbox, /nlu, /ops, /store, /studio; docs/staff.md): the one
// staff login (session cookie, and the CSRF token every cookie-authenticated write
// echoes), JSON calls and error texts in zh and en. A page calls
// Staff.start({roles, denied, onIn, onOut}); a page with a login of its own (/store) also
// gives {login, me, who}: the paths that log in and say who is in, and the header's text.
// The login form itself is bot/web/static/staff/login.html, put in by the server.
"use strict";
const Staff = (() => {
  const SESSIONS = "/api/v1/staff/sessions";
  let me = null;           // the staff member: {username, role, district, csrf_token}
  let page = null;         // the page's {roles, denied, onIn, onOut, login, me, who}

  function csrf() {
    const m = document.cookie.match(/(?:^|; )tg_staff_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : (me && me.csrf_token) || "";
  }

  // fetch JSON; {status, data}. A 401 once logged in shows the login again.
  async function api(path, method, body, signal) {
    const opts = {method: method || "GET", credentials: "same-origin", headers: {}, signal};
    if (opts.method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const resp = await fetch(path, opts);
    let data = {};
    try { data = await resp.json(); } catch (e) { /* empty body */ }
    const login = path.startsWith(SESSIONS) || (page && path === page.login);
    if (resp.status === 401 && me && !login) out();
    return {status: resp.status, data};
  }

  function errText(data) {
    const main = [data.message_zh, data.message].filter(Boolean).join(" / ") || "出错了 Error";
    const fields = (data.errors || []).map((e) => `${e.message_zh} ${e.message}`);
    return [main, ...fields].join(" · ");
  }

  // a page without roles leaves them to its server (its login and me paths refuse others)
  function allowed(role) { return !page.roles || page.roles.includes(role); }

  function out(message) {
    me = null;
    document.getElementById("login").hidden = false;
    document.getElementById("work").hidden = true;
    document.getElementById("logout").hidden = true;
    document.getElementById("who").textContent = "";
    document.getElementById("login-error").textContent = message || "";
    if (page && page.onOut) page.onOut();
  }

  async function enter() {
    const r = await api(page.me || "/api/v1/staff/me");
    if (r.status !== 200) return out();
    if (!allowed(r.data.role)) return out(page.denied);
    me = r.data;
    const where = me.district ? ` · ${me.district}` : "";
    document.getElementById("who").textContent =
      page.who ? page.who(me) : `${me.username} (${me.role})${where}`;
    document.getElementById("login").hidden = true;
    document.getElementById("work").hidden = false;
    document.getElementById("logout").hidden = false;
    await page.onIn(me);
  }

  function start(options) {
    page = options;
    document.getElementById("login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const password = document.getElementById("password");
      const r = await api(page.login || SESSIONS, "POST",
                          {username: document.getElementById("username").value,
                           password: password.value});
      if (r.status !== 200) {
        document.getElementById("login-error").textContent = errText(r.data);
        return;
      }
      password.value = "";
      if (!allowed(r.data.role)) {
        me = r.data;
        await api(SESSIONS, "DELETE");
        return out(page.denied);
      }
      await enter();
    });
    document.getElementById("logout").addEventListener("click", async () => {
      await api(SESSIONS, "DELETE");
      out("已退出 Logged out");
    });
    return enter();
  }

  return {api, csrf, errText, start, me: () => me};
})();
