-- Argo CD health of a kelos.dev TaskBudget. Base library only (Argo CD's default).
-- A used-up budget is Healthy: holding Tasks back is the budget doing its job, and a
-- Degraded budget would stop Argo CD's later sync waves.
local hs = {}
local status = obj.status
if status == nil or (status.currentPeriodStart == nil and status.conditions == nil) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to evaluate the budget"
  return hs
end
local generation = obj.metadata ~= nil and obj.metadata.generation or nil
if generation ~= nil and status.observedGeneration ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end
if status.conditions ~= nil then
  for _, c in ipairs(status.conditions) do
    if c.type == "Degraded" and c.status == "True" then
      hs.status = "Degraded"
      hs.message = c.message or c.reason or "TaskBudget cannot be evaluated"
      return hs
    end
  end
end
local spec = obj.spec or {}
local used = status.used or {}
local function over(max, value)
  local m = tonumber(max)
  local v = tonumber(value or 0)
  return m ~= nil and v ~= nil and v >= m
end
hs.status = "Healthy"
if over(spec.maxCostUSD, used.costUSD) then
  hs.message = "Cost budget used up until " .. tostring(status.currentPeriodEnd)
elseif over(spec.maxInputTokens, used.inputTokens) then
  hs.message = "Input-token budget used up until " .. tostring(status.currentPeriodEnd)
elseif over(spec.maxOutputTokens, used.outputTokens) then
  hs.message = "Output-token budget used up until " .. tostring(status.currentPeriodEnd)
else
  hs.message = "Used " .. tostring(used.costUSD or "0") .. " USD this period"
end
return hs
