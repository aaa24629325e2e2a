"""Pictures the bot attaches to its answers: drawn off the event loop, each once, and kept."""
