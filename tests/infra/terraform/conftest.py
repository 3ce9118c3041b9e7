import sys
from pathlib import Path

# The helpers sit next to the tests rather than in an installed package.
sys.path.insert(0, str(Path(__file__).parent))
