// Replaced by the agent (server/agent.cc).
