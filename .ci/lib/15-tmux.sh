# tmux, in which pkg/cmd/up's TestUpScreenInTmux runs a real `empctl up` at
# 80x24 and reads its screen back (capture-pane).
apt_install tmux
echo "tmux: $(tmux -V)"
