job "x"
