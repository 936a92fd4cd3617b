-- The sample document 'demo' for the test stacks: a realistic resume and job description,
-- the same texts as docs/sample/ (which `make demo` puts with `resume-chat documents put`).
INSERT INTO documents (name, resume, jd) VALUES ('demo',
$resume$Jordan Rivera
Seattle, WA · jordan.rivera@example.com · github.com/jrivera

SUMMARY
Backend engineer with 6 years of experience building high-throughput services in C++ and Go.
Led the redesign of a payments ledger that cut p99 latency from 180 ms to 35 ms. Comfortable
owning services end to end: design, on-call, capacity planning and mentoring.

EXPERIENCE
Senior Software Engineer — Northwind Payments, Seattle (2021–present)
- Rebuilt the ledger write path in C++17 (lock-free queues, batched PostgreSQL writes);
  throughput grew 4x on the same hardware.
- Introduced structured logging and Prometheus metrics across 14 services; mean time to
  detect incidents fell from 22 to 6 minutes.
- Mentored four engineers; ran the team's design-review rotation.

Software Engineer — Contoso Logistics, Portland (2018–2021)
- Built a route-optimisation API in Go serving 3,000 requests/s at peak.
- Migrated batch jobs from cron to Kubernetes CronJobs with retries and alerting.
- R&D <Team> liaison for the warehouse-robotics pilot.

EDUCATION
B.S. Computer Science, Oregon State University (2018)

SKILLS
C++17, Go, Python, PostgreSQL, Redis, Kafka, gRPC, Linux performance tuning, Docker,
Kubernetes, Terraform, AWS$resume$,
$jd$Staff Backend Engineer, Real-Time Platform — Fabrikam Health (remote, US)

About the role
We are looking for a Staff Backend Engineer to lead the design of our real-time messaging
platform, which delivers clinical alerts to 40,000 care teams. You will set technical
direction for a team of eight and partner with product and security.

What you will do
- Design and build low-latency services in C++ or Rust handling 50k events/s.
- Own reliability: SLOs, incident response, capacity planning.
- Lead architecture reviews and mentor senior engineers.
- Work with security and compliance on HIPAA requirements.

What we are looking for
- 8+ years of backend experience, 2+ at staff level or leading large projects.
- Deep knowledge of concurrency, networking and PostgreSQL internals.
- Experience with event streaming (Kafka or similar) and observability.
- Clear written communication; experience writing design documents.

Nice to have
- Healthcare or other regulated-industry experience.
- Open-source contributions.$jd$)
ON CONFLICT (name) DO NOTHING;
