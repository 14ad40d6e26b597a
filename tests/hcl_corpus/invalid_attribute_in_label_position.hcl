job "x" = 1
