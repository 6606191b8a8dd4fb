import sys

from interop.harness import serve

serve(sys.stdin, sys.stdout)
