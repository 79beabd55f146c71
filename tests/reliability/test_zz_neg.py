from __future__ import annotations
import test_secrets as t

def test_negative_control(emu, tmp_path, monkeypatch):
    monkeypatch.setattr(t, "PLAYBOOK", t.PLAYBOOK + '''    - name: leak on purpose
      ansible.builtin.debug:
        msg: "{{{{ new_secret | b64encode | b64decode }}}}"
''')
    t.test_every_module_at_vvvv_leaks_nothing(emu, tmp_path)
