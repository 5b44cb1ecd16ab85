# TuneX in a container: the app, its model and song catalog, served to a group through compose.yaml's
# HTTPS proxy and TURN server (docs/sharing.md). Build: docker build -t tunex .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    MALLOC_ARENA_MAX=2 \
    TUNEX_HOME=/data \
    TUNEX_SHARE=1 \
    TUNEX_SHARE_GUESTS_ONLY=1

# A user without a login or root rights runs TuneX; /data (the TuneX home) and /certs belong to it.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin tunex \
    && mkdir -p /data /certs \
    && chown tunex:tunex /data /certs

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

# The app, the shipped model and the song catalog (the model's training members stay out: .dockerignore).
COPY .streamlit/config.toml .streamlit/config.toml
COPY app.py ./
COPY pages/ pages/
COPY tunex_core/ tunex_core/
COPY models/ models/
COPY data/ data/
# The Model page's sample of labelled faces (its live check of the shipped model).
COPY tests/fixtures/fer_faces.npz tests/fixtures/fer_faces.npz

USER tunex
# Profiles (only the container's host uses any: visitors are guests, in memory) and the Spotify cache.
VOLUME ["/data"]
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"]

# Plain http inside the container network: the proxy in compose.yaml serves HTTPS to browsers.
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
