"""A site's groups: created on purpose, listed, closed and opened again."""
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import groups
from ..db import get_site_store
from ..refusals import ProgramError
from ..security import site_access
from .blueprint import bp
from .forms import GroupForm, field_error


@bp.route("/sitio/<site_code>/grupos/", methods=["GET", "POST"])
@site_access()
def groups_page(site_code):
    """Every group of the site; a facilitator creates a new one here."""
    store = get_site_store(site_code)
    form = GroupForm(data=None if request.method == "POST" else {"sessions": g.site.sessions})
    error = None
    if request.method == "POST":
        if not g.user.can_write_site(site_code):
            return redirect(url_for("staff.groups_page", site_code=site_code))
        if form.validate_on_submit():
            try:
                code = groups.create(store, form.code.data, form.started_on.data, form.sessions.data, g.user.username)
            except ProgramError as exc:
                error = field_error(form, exc, {"group": "code", "started_on": "started_on", "sessions": "sessions"})
            else:
                flash(_("Group %(group)s created. You can now register men in it.", group=code), "success")
                return redirect(url_for("staff.groups_page", site_code=site_code))
    status = 422 if error or form.errors else 200
    return render_template("staff/groups.html", site=g.site, form=form, error=error,
                           groups=groups.listed(store.read(), g.site.sessions)), status
