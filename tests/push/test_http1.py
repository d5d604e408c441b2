"""The push sender's HTTP/1.1 client against a raw server that answers scripted bytes."""

import asyncio

import pytest

from jichikai.push.http1 import Client, ProtocolError


def exchange(answers: list[bytes], posts: int = 1, timeout: float = 2.0):
    """Run `posts` POSTs against a server answering `answers` in turn (one per request; a
    connection is closed after an answer without a length). Returns (responses, requests, conns)."""
    requests: list[bytes] = []
    connections = []

    async def main():
        script = list(answers)

        async def handle(reader, writer):
            connections.append(writer)
            while script:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                requests.append(head + await reader.readexactly(length))
                answer = script.pop(0)
                writer.write(answer)
                await writer.drain()
                if b"Content-Length" not in answer and b"chunked" not in answer:
                    break
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = Client()
        origin = f"http://127.0.0.1:{port}"
        results = []
        try:
            for _ in range(posts):
                try:
                    results.append(
                        await client.post(origin, "/push/a?b=1", b"TTL: 60\r\n", b"body", timeout)
                    )
                except (ProtocolError, TimeoutError, OSError) as error:
                    results.append(error)
        finally:
            client.close()
            server.close()
            for writer in connections:
                writer.close()
            await asyncio.sleep(0.01)  # let the transports close
        return results

    return asyncio.run(main()), requests, connections


def test_requests_are_complete_and_connections_kept_alive():
    ok = b"HTTP/1.1 201 Created\r\nLocation: /m/1\r\nContent-Length: 0\r\n\r\n"
    responses, requests, connections = exchange([ok, ok, ok], posts=3)
    assert [r.status for r in responses] == [201, 201, 201]
    assert len(connections) == 1
    assert requests[0].startswith(b"POST /push/a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"\r\nTTL: 60\r\n" in requests[0] and requests[0].endswith(b"\r\n\r\nbody")


def test_chunked_and_close_delimited_bodies_and_headers():
    chunked = (
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nslow \r\n4;x=y\r\ndown\r\n0\r\n\r\n"
    )
    until_close = b"HTTP/1.1 400 Bad Request\r\n\r\nno length"
    responses, _, connections = exchange([chunked, until_close], posts=2)
    assert responses[0].status == 429 and responses[0].headers["retry-after"] == "7"
    assert responses[0].body == b"slow down"
    assert responses[1].status == 400 and responses[1].body == b"no length"
    assert len(connections) == 1


def test_a_connection_closed_by_the_server_is_replaced():
    closing = b"HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    responses, _, connections = exchange([closing, closing], posts=2)
    assert [r.status for r in responses] == [201, 201]
    assert len(connections) == 2


@pytest.mark.parametrize(
    "answer",
    [b"SMTP ready\r\n\r\n", b"HTTP/1.1 201 Created\r\nContent-Length: 10\r\n\r\nshort"],
)
def test_malformed_answers_are_errors(answer):
    [response], _, _ = exchange([answer])
    assert isinstance(response, ProtocolError | OSError)


def test_no_answer_is_a_timeout():
    async def silent():
        writers = []
        server = await asyncio.start_server(lambda r, w: writers.append(w), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = Client()
        try:
            with pytest.raises(TimeoutError):
                await client.post(f"http://127.0.0.1:{port}", "/p", b"", b"x", 0.05)
        finally:
            client.close()
            server.close()
            for writer in writers:
                writer.close()
            await asyncio.sleep(0.01)

    asyncio.run(silent())
