"""The teacher workforce: staffing (retirement, attrition, hiring), rotation, training, 走教 sharing."""
