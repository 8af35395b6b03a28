"""The stages an edition's category walks through: 推荐 → 形式审查 → 网络评审 → 会议评审 → 公示 → 审定."""
