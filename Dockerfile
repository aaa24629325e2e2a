FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

RUN groupadd --system bountybot && useradd --system --gid bountybot --home /app bountybot

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY migrations ./migrations
COPY specs ./specs
# matplotlib (the timeline picture) keeps its font list under MPLCONFIGDIR: built here once, where the bot's user
# can read it, instead of in a temporary folder by every start's first picture.
ENV MPLCONFIGDIR=/app/.matplotlib
RUN pip install --no-cache-dir . && mkdir -p /data && chown bountybot:bountybot /data \
    && python -c "import matplotlib.font_manager" && chown -R bountybot:bountybot /app/.matplotlib

USER bountybot
# Mount config.toml at /app/config.toml (with [database] path = "/data/bountybot.db") and pass DISCORD_TOKEN.
VOLUME ["/data"]
CMD ["bountybot", "run", "--config", "/app/config.toml"]
