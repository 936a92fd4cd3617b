// Whether a FastCGI request has arrived: read from the bytes a new connection has buffered
// (MSG_PEEK), before any thread is given the connection. A request thread then never waits
// on a slow or silent peer: the acceptor holds such a connection until its request is in,
// or drops it (fcgi_server.h).
#ifndef RESUME_CHAT_FCGI_ARRIVAL_H_
#define RESUME_CHAT_FCGI_ARRIVAL_H_

#include <cstddef>
#include <string_view>

namespace resume_chat {

enum class Arrival {
  kPartial,   // wait for more
  kComplete,  // the parameters and the body have ended (or enough of a large body is in)
  kInvalid,   // not FastCGI: drop it
};

// Records are read in order; the request is complete once an empty FCGI_PARAMS record and an
// empty FCGI_STDIN record (the ends of both streams) are in, or once the parameters have
// ended and `body_enough` bytes are buffered (a body larger than a socket buffer streams in).
Arrival fcgi_arrival(std::string_view buffered, size_t body_enough = 16384);

}  // namespace resume_chat

#endif  // RESUME_CHAT_FCGI_ARRIVAL_H_
